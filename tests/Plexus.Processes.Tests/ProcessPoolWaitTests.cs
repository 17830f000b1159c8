namespace Plexus.Processes.Tests;

/// <summary>Awaiting, timeouts and cancellation of the pool's waits.</summary>
public class ProcessPoolWaitTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(60);

    private static int Square(int x) => x * x;

    private static int Fail(int x) => throw new InvalidOperationException($"bad {x}");

    private static int SleepThenReturn(int ms)
    {
        Thread.Sleep(ms);
        return ms;
    }

    /// <summary>Runs until the test creates <c>release</c> in <paramref name="gate"/> (a minute at most).</summary>
    private static int RunUntilReleased(string gate)
    {
        DateTime deadline = DateTime.UtcNow.AddMinutes(1);
        while (!File.Exists(Path.Combine(gate, "release")) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }
        return 7;
    }

    private static string NewGate()
    {
        string gate = Path.Combine(Path.GetTempPath(), $"plexus-wait-{Guid.NewGuid():N}");
        Directory.CreateDirectory(gate);
        return gate;
    }

    private static void Release(string gate) => File.WriteAllText(Path.Combine(gate, "release"), "");

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
        string gate = NewGate();
        try
        {
            using var pool = new ProcessPool(1);
            AsyncResult<int> held = pool.ApplyAsync(RunUntilReleased, gate);
            pool.Close();
            Assert.False(pool.Join(TimeSpan.FromMilliseconds(50)));
            using (var cancelled = new CancellationTokenSource())
            {
                cancelled.Cancel();
                Assert.ThrowsAny<OperationCanceledException>(() => pool.Join(Timeout.InfiniteTimeSpan, cancelled.Token));
            }
            Assert.False(held.Ready);
            Release(gate);
            Assert.True(pool.Join(s_patience));
            Assert.Equal(7, held.Get());
            Assert.Empty(pool.WorkerPids);
        }
        finally
        {
            Directory.Delete(gate, recursive: true);
        }
    }

    [Fact]
    public void Apply_Get_and_Map_stop_waiting_when_cancelled()
    {
        string gate = NewGate();
        try
        {
            using var pool = new ProcessPool(1);
            using (var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(50)))
            {
                Assert.ThrowsAny<OperationCanceledException>(() => pool.Apply(RunUntilReleased, gate, soon.Token));
            }
            AsyncResult<int> held = pool.ApplyAsync(RunUntilReleased, gate); // the first, if it was sent, runs on ahead of it
            using (var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(50)))
            {
                Assert.ThrowsAny<OperationCanceledException>(() => held.Get(soon.Token));
                Assert.ThrowsAny<OperationCanceledException>(() => held.Wait(soon.Token));
            }
            Assert.False(held.Ready);
            Release(gate);
            Assert.Equal(7, held.Get(s_patience));
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
        finally
        {
            Directory.Delete(gate, recursive: true);
        }
    }
}
