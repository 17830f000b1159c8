namespace Plexus.Native.Tests;

public sealed class SocketPairTests
{
    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    public void Both_ends_carry_bytes_both_ways_with_the_flags_asked_for(bool nonBlocking, bool closeOnExec)
    {
        (int a, int b) = SocketPair.Create(nonBlocking, closeOnExec);
        try
        {
            foreach (int fd in new[] { a, b })
            {
                Assert.Equal(nonBlocking, FdInfo.IsNonBlocking(fd));
                Assert.Equal(closeOnExec, FdInfo.IsCloseOnExec(fd));
            }
            Assert.Equal(5, Descriptors.WriteSome(a, "hello"u8));
            Span<byte> buffer = stackalloc byte[16];
            Assert.Equal(5, Descriptors.ReadSome(b, buffer));
            Assert.True(buffer[..5].SequenceEqual("hello"u8));
            Assert.Equal(2, Descriptors.WriteSome(b, "ok"u8));
            Assert.Equal(2, Descriptors.ReadSome(a, buffer));
            Assert.True(buffer[..2].SequenceEqual("ok"u8));
        }
        finally
        {
            Descriptors.Close(a);
            Descriptors.Close(b);
        }
    }

    [Fact]
    public void Non_blocking_read_of_an_empty_socket_is_EAGAIN_and_a_closed_peer_is_end_of_stream()
    {
        (int a, int b) = SocketPair.Create(nonBlocking: true);
        try
        {
            Span<byte> buffer = stackalloc byte[8];
            Assert.Equal(-Errnos.EAGAIN, Descriptors.ReadSome(a, buffer));
            Descriptors.Close(b);
            Assert.Equal(0, Descriptors.ReadSome(a, buffer));
        }
        finally
        {
            Descriptors.Close(a);
        }
    }

    [Fact]
    public void Duplicate_at_least_takes_a_number_at_or_above_the_minimum_and_is_close_on_exec()
    {
        (int a, int b) = SocketPair.Create(nonBlocking: false, closeOnExec: false);
        int copy = Descriptors.DuplicateAtLeast(a, 200);
        try
        {
            Assert.True(copy >= 200);
            Assert.True(FdInfo.IsCloseOnExec(copy));
            Assert.Equal(1, Descriptors.WriteSome(copy, "x"u8));
            Assert.True(Descriptors.WaitReadable(b, 5000));
        }
        finally
        {
            Descriptors.Close(copy);
            Descriptors.Close(a);
            Descriptors.Close(b);
        }
    }
}
