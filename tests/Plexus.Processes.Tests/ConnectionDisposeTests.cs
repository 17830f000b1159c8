namespace Plexus.Processes.Tests;

/// <summary>
/// A connection disposed while another thread uses it: the call in progress finishes on the descriptor
/// it started with (never on a reused number), and later calls throw <see cref="ObjectDisposedException"/>.
/// Plus the timeout and cancellation forms of the blocking calls.
/// </summary>
public class ConnectionDisposeTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Dispose_during_a_receive_never_lets_it_read_from_a_reused_descriptor()
    {
        (Connection mine, Connection theirs) = ProcessPipe.Create();
        using (theirs)
        {
            var receiving = Task.Run(() => mine.TryReceive(s_long, out string value) ? value : "(timed out)");
            // Only makes the race likely; the assertions hold whichever side wins it.
            await Task.Delay(100);
            mine.Dispose();
            (Connection x, Connection y) = ProcessPipe.Create(); // would take mine's number if it were closed
            using (x)
            using (y)
            {
                y.Send("for x");
                theirs.Send("late");
                string? received;
                try
                {
                    received = await receiving.WaitAsync(s_long);
                }
                catch (ObjectDisposedException)
                {
                    received = null; // the Dispose came before the receive started
                }
                Assert.NotEqual("for x", received);
                Assert.True(x.TryReceive(TimeSpan.FromSeconds(5), out string forX), "x lost its message to the disposed connection");
                Assert.Equal("for x", forX);
            }
            Assert.Throws<ObjectDisposedException>(() => mine.Receive<string>());
            Assert.Throws<ObjectDisposedException>(() => mine.Send("after"));
            Assert.Throws<ObjectDisposedException>(() => mine.Poll(TimeSpan.Zero));
        }
    }

    [Fact]
    public void TryReceiveBytes_times_out_then_receives()
    {
        (Connection a, Connection b) = ProcessPipe.Create();
        using (a)
        using (b)
        {
            Assert.False(a.TryReceiveBytes(TimeSpan.FromMilliseconds(20), out byte[] nothing));
            Assert.Empty(nothing);
            b.SendBytes([1, 2, 3]);
            Assert.True(a.TryReceiveBytes(s_long, out byte[] bytes));
            Assert.Equal([1, 2, 3], bytes);
        }
    }

    [Fact]
    public async Task ReceiveBytesAsync_waits_and_cancels()
    {
        (Connection a, Connection b) = ProcessPipe.Create();
        using (a)
        using (b)
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await a.ReceiveBytesAsync(cancel.Token));
            ValueTask<byte[]> pending = a.ReceiveBytesAsync();
            b.SendBytes([9]);
            Assert.Equal([9], await pending.AsTask().WaitAsync(s_long));
        }
    }

    [Fact]
    public void Poll_with_a_token_returns_when_readable_and_throws_when_cancelled()
    {
        (Connection a, Connection b) = ProcessPipe.Create();
        using (a)
        using (b)
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
            Assert.ThrowsAny<OperationCanceledException>(() => a.Poll(cancel.Token));
            b.Send(1);
            Assert.True(a.Poll(CancellationToken.None));
        }
    }
}
