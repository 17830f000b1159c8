using Plexus.Processes;

namespace Plexus.Processes.Tests;

/// <summary>Awaiting, timeouts and cancellation of the pool's waits.</summary>
public class ProcessPoolWaitTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static int Square(int x) => x * x;

    private static int Fail(int x) => throw new InvalidOperationException($"bad {x}");

    private static int SleepThenReturn(int ms)
    {
        Thread.Sleep(ms);
        return ms;
    }

    [Fact]
    public async Task An_AsyncResult_can_be_awaited()
    {
        await using var pool = new ProcessPool(1);
        int square = await pool.ApplyAsync(Square, 6);
        Assert.Equal(36, square);
        var error = await Assert.ThrowsAsync<ChildProcessException>(async () => await pool.ApplyAsync(Fail, 2));
        Assert.Equal("bad 2", error.RemoteMessage);
        List<int> squares = await pool.MapAsync(Square, [1, 2, 3]);
        Assert.Equal([1, 4, 9], squares);
    }

    [Fact]
    public async Task DisposeAsync_leaves_no_worker_process()
    {
        var pool = new ProcessPool(2);
        Task<int> running = pool.SubmitAsync(SleepThenReturn, 20_000);
        int[] pids = [.. pool.WorkerPids];
        await pool.DisposeAsync();
        Assert.All(pids, p => Assert.False(Directory.Exists($"/proc/{p}"), $"worker {p} is still there"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => running);
        await pool.DisposeAsync(); // a second dispose is a no-op
    }

    [Fact]
    public void Join_gives_up_after_its_timeout_or_when_cancelled()
    {
        using var pool = new ProcessPool(1);
        AsyncResult<int> slow = pool.ApplyAsync(SleepThenReturn, 1500);
        pool.Close();
        Assert.False(pool.Join(TimeSpan.FromMilliseconds(50)));
        using (var cancelled = new CancellationTokenSource())
        {
            cancelled.Cancel();
            Assert.ThrowsAny<OperationCanceledException>(() => pool.Join(Timeout.InfiniteTimeSpan, cancelled.Token));
        }
        Assert.False(slow.Ready);
        Assert.True(pool.Join(Patience));
        Assert.Equal(1500, slow.Get());
        Assert.Empty(pool.WorkerPids);
    }

    [Fact]
    public void Apply_Get_and_Map_stop_waiting_when_cancelled()
    {
        using var pool = new ProcessPool(1);
        using (var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => pool.Apply(SleepThenReturn, 1000, soon.Token));
        }
        AsyncResult<int> slow = pool.ApplyAsync(SleepThenReturn, 1000);
        using (var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(50)))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => slow.Get(soon.Token));
            Assert.ThrowsAny<OperationCanceledException>(() => slow.Wait(soon.Token));
        }
        Assert.Equal(1000, slow.Get(Patience)); // the task ran on
        using (var cancelled = new CancellationTokenSource())
        {
            cancelled.Cancel();
            Assert.ThrowsAny<OperationCanceledException>(() => pool.Map(Square, [1, 2, 3], null, cancelled.Token));
            Assert.ThrowsAny<OperationCanceledException>(() => pool.Starmap((int a, int b) => a + b, [(1, 2)], null, cancelled.Token));
        }
        using var unused = new CancellationTokenSource();
        Assert.Equal(25, pool.Apply(Square, 5, unused.Token));
        Assert.Equal([1, 4], pool.Map(Square, [1, 2], null, unused.Token));
        Assert.Equal([1, 4], pool.Imap(Square, [1, 2], 1, unused.Token));
    }
}
