using Plexus.Processes;

namespace Plexus.Redis.Tests;

public sealed class RedisPoolTests
{
    [Fact]
    public async Task Map_of_10000_items_over_three_worker_processes_on_two_hosts_equals_the_local_results()
    {
        using var redis = new RedisServer();
        using PlexusProcess hostA = PlexusProcess.StartWorker(redis.Url, "map", processes: 2);
        using PlexusProcess hostB = PlexusProcess.StartWorker(redis.Url, "map", processes: 1);
        await using RedisPool pool = await RedisPool.ConnectAsync(redis.Url, new RedisPoolOptions { Queue = "map" });
        int[] items = Enumerable.Range(-5_000, 10_000).ToArray();

        List<long> results = pool.Map(RedisTargets.Square, items, chunkSize: 100);

        Assert.Equal(items.Select(RedisTargets.Square), results);
        RedisPoolStatus status = await pool.GetStatusAsync();
        Assert.Equal(2, status.WorkersAlive);
        Assert.Equal(0, status.Queued + status.Pending);
    }

    [Fact]
    public async Task Every_call_of_the_shared_interface_gives_what_the_local_pool_gives()
    {
        using var redis = new RedisServer();
        using PlexusProcess host = PlexusProcess.StartWorker(redis.Url, "api", processes: 2);
        await using RedisPool remote = await RedisPool.ConnectAsync(redis.Url, new RedisPoolOptions { Queue = "api" });
        await using var local = new ProcessPool(2);

        Assert.Equal(await Exercise(local), await Exercise(remote));
        Assert.Equal(42, remote.Apply(static (int x) => x * 2, 21)); // a lambda that captures nothing runs too
    }

    private static async Task<List<string>> Exercise(IProcessPool pool)
    {
        var seen = new List<string>();
        int[] items = Enumerable.Range(0, 50).ToArray();
        seen.Add(pool.Apply(RedisTargets.Square, 7).ToString(System.Globalization.CultureInfo.InvariantCulture));
        seen.Add(pool.Apply(RedisTargets.Add, 2, 3, CancellationToken.None).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var called = new TaskCompletionSource<string>();
        AsyncResult<string> greeting = pool.ApplyAsync(RedisTargets.Greet, "redis", callback: s => called.TrySetResult("callback " + s));
        seen.Add(greeting.Get(TimeSpan.FromSeconds(60)));
        seen.Add(await called.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        seen.Add((await pool.SubmitAsync(RedisTargets.Square, 9)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        seen.Add(string.Join(',', pool.Map(RedisTargets.Square, items)));
        seen.Add(string.Join(',', await pool.MapTaskAsync(RedisTargets.Square, items, chunkSize: 7)));
        seen.Add(string.Join(',', pool.Imap(RedisTargets.Square, items, 3, CancellationToken.None)));
        seen.Add(string.Join(',', pool.ImapUnordered(RedisTargets.Square, items, 4, CancellationToken.None).Order()));
        var streamed = new List<long>();
        await foreach (long x in pool.ImapAsync(RedisTargets.Square, items, 5))
        {
            streamed.Add(x);
        }
        seen.Add(string.Join(',', streamed));
        seen.Add(string.Join(',', pool.Starmap(RedisTargets.Add, items.Select(i => (i, 1000)), null, CancellationToken.None)));
        var failed = new TaskCompletionSource<Exception>();
        AsyncResult<int> failing = pool.ApplyAsync(RedisTargets.Fail, "planned", errorCallback: e => failed.TrySetResult(e));
        var error = Assert.Throws<ChildProcessException>(() => failing.Get(TimeSpan.FromSeconds(60)));
        seen.Add($"{error.RemoteType}: {error.RemoteMessage}");
        seen.Add((await failed.Task.WaitAsync(TimeSpan.FromSeconds(60))).GetType().Name);
        return seen;
    }

    [Fact]
    public async Task A_task_that_throws_fails_the_call_with_the_remote_exception_and_is_not_retried()
    {
        using var redis = new RedisServer();
        using PlexusProcess host = PlexusProcess.StartWorker(redis.Url, "throws");
        await using RedisPool pool = await RedisPool.ConnectAsync(redis.Url, new RedisPoolOptions { Queue = "throws" });

        var error = await Assert.ThrowsAsync<ChildProcessException>(() => pool.SubmitAsync(RedisTargets.Fail, "bad input 17"));

        Assert.Equal(typeof(InvalidOperationException).FullName, error.RemoteType);
        Assert.Equal("bad input 17", error.RemoteMessage);
        Assert.Contains(nameof(RedisTargets.Fail), error.RemoteStackTrace, StringComparison.Ordinal);
        // The reply is pushed by the script that acknowledges and deletes the entry: nothing is left to retry.
        RedisPoolStatus status = await pool.GetStatusAsync();
        Assert.Equal((0L, 0L, 0L), (status.Queued, status.Pending, status.DeadLetters));
    }

    [Fact]
    public async Task Cancelling_a_queued_task_cancels_the_call_and_removes_its_entry()
    {
        using var redis = new RedisServer();
        await using RedisPool pool = await RedisPool.ConnectAsync(redis.Url, new RedisPoolOptions { Queue = "cancel" });
        using var cancel = new CancellationTokenSource();

        Task<long> call = pool.SubmitAsync(RedisTargets.Square, 3, cancel.Token);
        await Wait.UntilAsync(async () => (await pool.GetStatusAsync()).Queued == 1, TimeSpan.FromSeconds(20), "the task was not queued");
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.True(call.IsCanceled, $"the call ended {call.Status}, not Canceled");
        await Wait.UntilAsync(async () => (await pool.GetStatusAsync()).Queued == 0, TimeSpan.FromSeconds(20), "the cancelled entry stayed in the stream");
        Assert.Equal(0, pool.InFlight);
    }

    [Fact]
    public async Task A_call_in_flight_fails_with_a_clear_error_when_redis_stays_away_past_the_loss_timeout()
    {
        using var redis = new RedisServer();
        await using RedisPool pool = await RedisPool.ConnectAsync(redis.Url, new RedisPoolOptions { Queue = "lost", ConnectionLossTimeout = TimeSpan.FromSeconds(2) });
        Task<long> call = pool.SubmitAsync(RedisTargets.Square, 3); // no worker: it can only wait
        await Wait.UntilAsync(async () => (await pool.GetStatusAsync()).Queued == 1, TimeSpan.FromSeconds(20), "the task was not queued");

        redis.Kill();

        var error = await Assert.ThrowsAsync<RedisPoolConnectionException>(() => call.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("lost the connection to redis", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, pool.InFlight);
    }

    [Fact]
    public async Task A_wrong_password_fails_at_connect_with_a_clear_error()
    {
        using var redis = new RedisServer();

        var error = await Assert.ThrowsAsync<RedisPoolConnectionException>(() => RedisPool.ConnectAsync($"redis://:wrong@127.0.0.1:{redis.Port}"));

        Assert.Contains("refused the credentials", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", error.Message, StringComparison.Ordinal); // the password is never echoed
    }

    [Fact]
    public async Task An_acl_user_in_the_url_connects_and_runs_tasks()
    {
        using var redis = new RedisServer();
        await using (StackExchange.Redis.ConnectionMultiplexer admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Port},password={RedisServer.Password}"))
        {
            await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "plexus-client", "on", ">client-secret", "~plexus:*", "&plexus:*", "+@all");
        }
        using PlexusProcess host = PlexusProcess.StartWorker(redis.Url, "acl");

        await using RedisPool pool = await RedisPool.ConnectAsync($"redis://plexus-client:client-secret@127.0.0.1:{redis.Port}", new RedisPoolOptions { Queue = "acl" });

        Assert.Equal(144L, pool.Apply(RedisTargets.Square, 12));
        await Assert.ThrowsAsync<RedisPoolConnectionException>(() => RedisPool.ConnectAsync($"redis://plexus-client:wrong@127.0.0.1:{redis.Port}"));
    }

    [Fact]
    public async Task A_url_without_a_password_is_refused_unless_it_says_auth_none()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => RedisPool.ConnectAsync("redis://127.0.0.1:1"));
        Assert.Contains("has no password", error.Message, StringComparison.Ordinal);

        // With ?auth=none the URL is accepted and the connection itself is tried (and fails: nothing listens on port 1).
        await Assert.ThrowsAsync<RedisPoolConnectionException>(() => RedisPool.ConnectAsync("redis://127.0.0.1:1?auth=none"));
    }
}
