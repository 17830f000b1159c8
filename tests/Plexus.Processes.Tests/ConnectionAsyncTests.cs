namespace Plexus.Processes.Tests;

public class ConnectionAsyncTests
{
    [Fact]
    public async Task ReceiveAsync_waits_for_a_frame_and_can_be_cancelled()
    {
        (Connection a, Connection b) = ProcessPipe.Create();
        using (a)
        using (b)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await b.ReceiveAsync<int>(cts.Token));

            ValueTask<string> pending = b.ReceiveAsync<string>();
            a.Send("after the wait");
            Assert.Equal("after the wait", await pending);

            // The descriptor is non-blocking now; synchronous use must still block correctly.
            var big = new byte[3 << 20];
            Random.Shared.NextBytes(big);
            var sender = Task.Run(() => a.SendBytes(big));
            Assert.Equal(big, b.ReceiveBytes());
            await sender;
        }
    }
}
