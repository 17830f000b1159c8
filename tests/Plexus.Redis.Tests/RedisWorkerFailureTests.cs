namespace Plexus.Redis.Tests;

public sealed class RedisWorkerFailureTests : IDisposable
{
    private const int SigTerm = 15;
    private readonly string _dir = Directory.CreateTempSubdirectory("plexus-redis-tasks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Log() => [.. Directory.GetFiles(_dir, "log*").SelectMany(File.ReadAllLines)];

    private int Count(string prefix) => Log().Count(l => l.StartsWith(prefix, StringComparison.Ordinal));

    [Fact]
    public async Task A_worker_killed_mid_task_loses_nothing_and_only_that_task_runs_again()
    {
        using var redis = new RedisServer();
        await using RedisPool pool = await RedisPool.ConnectAsync(redis.Url, new RedisPoolOptions { Queue = "kill" });
        using PlexusProcess doomed = PlexusProcess.StartWorker(redis.Url, "kill", processes: 2, visibility: 5);
        Task<int>[] quick = Enumerable.Range(1, 20).Select(i => pool.SubmitAsync(RedisTargets.Record, _dir, i)).ToArray();
        Task<int> slow = pool.SubmitAsync(RedisTargets.RecordGated, _dir, 0);
        await Task.WhenAll(quick).WaitAsync(TimeSpan.FromSeconds(60));
        Wait.Until(() => Count("start 0 ") == 1, TimeSpan.FromSeconds(60), "the gated task did not start");

        doomed.Kill(); // SIGKILL, mid-task: its processes see their parent vanish and end
        using PlexusProcess survivor = PlexusProcess.StartWorker(redis.Url, "kill", processes: 1, visibility: 5);
        Wait.Until(() => Count("start 0 ") == 2, TimeSpan.FromSeconds(60), "the dead worker's task was not claimed again");
        File.WriteAllText(Path.Combine(_dir, "gate"), "");

        Assert.Equal(0, await slow.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(Enumerable.Range(1, 20), quick.Select(t => t.Result));
        Assert.Equal(1, Count("done 0 "));
        Assert.All(Enumerable.Range(1, 20), i => Assert.Equal(1, Count($"start {i} ")));
        RedisPoolStatus status = await pool.GetStatusAsync();
        Assert.Equal((0L, 0L, 0L), (status.Queued, status.Pending, status.DeadLetters));
    }

    [Fact]
    public async Task A_task_that_always_kills_its_process_goes_to_the_dead_letter_stream_and_fails_the_call()
    {
        using var redis = new RedisServer();
        await using RedisPool pool = await RedisPool.ConnectAsync(redis.Url, new RedisPoolOptions { Queue = "poison" });
        using PlexusProcess worker = PlexusProcess.StartWorker(redis.Url, "poison", processes: 1, visibility: 1, maxDeliveries: 2);
        string log = Path.Combine(_dir, "log");

        var error = await Assert.ThrowsAsync<RedisTaskDeadLetteredException>(() => pool.SubmitAsync(RedisTargets.ExitProcess, log).WaitAsync(TimeSpan.FromSeconds(90)));

        Assert.Equal(2, error.Deliveries);
        Assert.StartsWith(pool.ClientId + ":", error.TaskId, StringComparison.Ordinal);
        Assert.Contains(nameof(RedisTargets.ExitProcess), error.Message, StringComparison.Ordinal);
        Assert.Contains("died", error.Reason, StringComparison.Ordinal);
        Assert.Equal(2, Count("run "));
        Assert.Equal(49L, await pool.SubmitAsync(RedisTargets.Square, 7)); // the worker lives on
        RedisPoolStatus status = await pool.GetStatusAsync();
        Assert.Equal((0L, 0L, 1L, 1), (status.Queued, status.Pending, status.DeadLetters, status.WorkersAlive));

        using PlexusProcess cli = PlexusProcess.Start(["pool", "status", "--redis", redis.Url, "--queue", "poison"]);
        Assert.Equal(0, cli.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("0 queued, 0 pending, 1 dead letters, 1 of 1 workers alive", cli.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redis_killed_and_restarted_mid_run_delivers_every_acknowledged_result()
    {
        using var redis = new RedisServer();
        await using RedisPool pool = await RedisPool.ConnectAsync(redis.Url, new RedisPoolOptions { Queue = "restart" });
        using PlexusProcess worker = PlexusProcess.StartWorker(redis.Url, "restart", processes: 2, visibility: 3);
        int done = 0;
        Task<int>[] calls = Enumerable.Range(0, 300).Select(i => pool.SubmitAsync(RedisTargets.SlowSquare, i)).ToArray();
        foreach (Task<int> call in calls)
        {
            _ = call.ContinueWith(_ => Interlocked.Increment(ref done), TaskScheduler.Default);
        }
        // Replies come back on the connection that sent every XADD before its first pop, so once
        // results arrive every task has been acknowledged by Redis (and fsynced: appendfsync always).
        Wait.Until(() => Volatile.Read(ref done) >= 20, TimeSpan.FromSeconds(60), "results did not start arriving");

        redis.Kill();
        Assert.True(Volatile.Read(ref done) < 300, "every task finished before Redis was killed; the test proves nothing");
        redis.Start();

        int[] results = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => i * i), results);
    }

    [Fact]
    public async Task Sigterm_drains_a_worker_its_task_finishes_and_it_takes_no_new_ones()
    {
        using var redis = new RedisServer();
        await using RedisPool pool = await RedisPool.ConnectAsync(redis.Url, new RedisPoolOptions { Queue = "drain" });
        using PlexusProcess worker = PlexusProcess.StartWorker(redis.Url, "drain", processes: 1);
        Task<int> running = pool.SubmitAsync(RedisTargets.RecordGated, _dir, 5);
        Wait.Until(() => Count("start 5 ") == 1, TimeSpan.FromSeconds(60), "the task did not start");

        worker.Signal(SigTerm);
        worker.WaitForLine("draining", TimeSpan.FromSeconds(30));
        Task<long> late = pool.SubmitAsync(RedisTargets.Square, 4);
        File.WriteAllText(Path.Combine(_dir, "gate"), "");

        Assert.Equal(5, await running.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, worker.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("drained: done 1", worker.Output, StringComparison.Ordinal);
        Assert.False(late.IsCompleted);
        RedisPoolStatus status = await pool.GetStatusAsync();
        Assert.Equal((1L, 0L, 0), (status.Queued, status.Pending, status.WorkersAlive));

        using PlexusProcess next = PlexusProcess.StartWorker(redis.Url, "drain");
        Assert.Equal(16L, await late.WaitAsync(TimeSpan.FromSeconds(60)));
    }
}
