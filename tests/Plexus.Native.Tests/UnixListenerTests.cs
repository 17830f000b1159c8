using System.Diagnostics;
using System.Net.Sockets;

namespace Plexus.Native.Tests;

public sealed class UnixListenerTests
{
    private static string NewPath() => Path.Combine(Path.GetTempPath(), $"plexus-listen-{Guid.NewGuid():N}.sock");

    [Fact]
    public void A_raw_unix_listener_accepts_a_raw_client_and_bytes_round_trip()
    {
        string path = NewPath();
        try
        {
            using SafeFd listener = Descriptors.ListenUnix(path, 4);
            Assert.True(FdInfo.IsCloseOnExec(listener.Fd));
            Assert.True(File.Exists(path));
            using SafeFd client = Descriptors.ConnectUnix(path);
            int accepted = Sockets.Accept(listener.Fd, nonBlocking: false);
            Assert.True(accepted >= 0, $"accept returned {accepted}");
            using var server = new SafeFd(accepted);
            Assert.Equal(4, Descriptors.WriteSome(client.Fd, "ping"u8));
            Span<byte> buffer = stackalloc byte[8];
            Assert.Equal(4, Descriptors.ReadSome(server.Fd, buffer));
            Assert.Equal("ping"u8.ToArray(), buffer[..4].ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Listening_on_a_taken_path_names_the_call_and_the_path()
    {
        string path = NewPath();
        try
        {
            using SafeFd first = Descriptors.ListenUnix(path, 4);
            var error = Assert.Throws<ErrnoException>(() => Descriptors.ListenUnix(path, 4));
            Assert.Equal(Errnos.EADDRINUSE, error.Errno);
            Assert.Contains("bind", error.Message);
            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Shutdown_wakes_a_thread_blocked_in_accept()
    {
        string path = NewPath();
        try
        {
            using SafeFd listener = Descriptors.ListenUnix(path, 4);
            int result = int.MinValue;
            var acceptor = new Thread(() => result = Sockets.Accept(listener.Fd, nonBlocking: false)) { IsBackground = true };
            acceptor.Start();
            Thread.Sleep(100); // let it block (if it has not yet, accept on a shut-down listener fails at once all the same)
            Assert.Equal(0, Sockets.Shutdown(listener.Fd, SocketShutdown.Both));
            Assert.True(acceptor.Join(TimeSpan.FromSeconds(10)), "accept did not return after shutdown");
            Assert.Equal(-Errnos.EINVAL, result);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_receive_timeout_ends_a_blocking_read_with_EAGAIN()
    {
        (SafeFd a, SafeFd b) = SocketPairOf();
        using (a)
        using (b)
        {
            Sockets.SetReceiveTimeout(a.Fd, TimeSpan.FromMilliseconds(200));
            var clock = Stopwatch.StartNew();
            Span<byte> buffer = stackalloc byte[4];
            int received;
            do
            {
                received = Sockets.Receive(a.Fd, buffer);
            }
            while (received == -Errnos.EINTR); // other tests in this process send signals
            Assert.Equal(-Errnos.EAGAIN, received);
            Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), $"gave up after {clock.Elapsed.TotalMilliseconds:F0} ms");
            Sockets.SetReceiveTimeout(a.Fd, TimeSpan.Zero);
            Assert.Equal(2, Descriptors.WriteSome(b.Fd, "ok"u8));
            Assert.Equal(2, Sockets.Receive(a.Fd, buffer));
            Assert.Throws<ArgumentOutOfRangeException>(() => Sockets.SetReceiveTimeout(a.Fd, TimeSpan.FromSeconds(-1)));
        }
    }

    private static (SafeFd, SafeFd) SocketPairOf()
    {
        string path = NewPath();
        try
        {
            using SafeFd listener = Descriptors.ListenUnix(path, 1);
            SafeFd client = Descriptors.ConnectUnix(path);
            return (client, new SafeFd(Sockets.Accept(listener.Fd, nonBlocking: false)));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
