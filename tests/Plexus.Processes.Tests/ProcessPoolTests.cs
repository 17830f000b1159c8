using System.Collections.Concurrent;
using Plexus.Native;
using Plexus.Processes.Serialization;

namespace Plexus.Processes.Tests;

public class ProcessPoolTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(60);

    // ---- targets (they run in the workers) ----

    private static long[] Interval(int sleepMs)
    {
        long start = DateTime.UtcNow.Ticks;
        Thread.Sleep(sleepMs);
        return [start, DateTime.UtcNow.Ticks, Environment.ProcessId];
    }

    private static int Pid() => Environment.ProcessId;

    private static int Square(int x) => x * x;

    private static int Add(int a, int b) => a + b;

    private static int Fail(int x) => throw new InvalidOperationException($"bad {x}");

    private static Thread ReturnsThread(int x) => new(() => { });

    private static int ExitWith(int code)
    {
        Environment.Exit(code);
        return 0;
    }

    private static int WritePidThenSleep(string path)
    {
        File.WriteAllText(path, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Thread.Sleep(30_000);
        return -1;
    }

    private static int SleepThenReturn(int ms)
    {
        Thread.Sleep(ms);
        return ms;
    }

    private static void RecordPid(string path) => ProcessLog.Append(path, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    // ---- apply / apply_async ----

    [Fact]
    public void Apply_runs_tasks_one_after_another()
    {
        using var pool = new ProcessPool(3);
        var intervals = new List<long[]>();
        for (int i = 0; i < 5; i++)
        {
            intervals.Add(pool.Apply(Interval, 200));
        }
        for (int i = 1; i < intervals.Count; i++)
        {
            Assert.True(intervals[i][0] >= intervals[i - 1][1], $"task {i} started before task {i - 1} ended");
        }
        Assert.All(intervals, iv => Assert.NotEqual(Environment.ProcessId, (int)iv[2]));
    }

    [Fact]
    public void ApplyAsync_runs_tasks_in_parallel()
    {
        using var pool = new ProcessPool(3);
        // Workers start one runtime each; on a busy machine they come up at different times, so wait
        // until all three have answered before measuring overlap.
        var answered = new HashSet<long>();
        for (int round = 0; round < 20 && answered.Count < 3; round++)
        {
            foreach (AsyncResult<long[]> r in Enumerable.Range(0, 3).Select(_ => pool.ApplyAsync(Interval, 100)).ToArray())
            {
                answered.Add(r.Get(s_patience)[2]);
            }
        }
        AsyncResult<long[]>[] results = Enumerable.Range(0, 3).Select(_ => pool.ApplyAsync(Interval, 500)).ToArray();
        long[][] intervals = results.Select(r => r.Get(s_patience)).ToArray();
        Assert.True(intervals.Max(iv => iv[0]) < intervals.Min(iv => iv[1]), "the three tasks did not overlap in time");
        Assert.Equal(3, intervals.Select(iv => iv[2]).Distinct().Count());
        Assert.All(results, r => Assert.True(r.Ready && r.Successful));
    }

    [Fact]
    public void Callback_runs_in_the_parent_off_the_callers_thread()
    {
        using var pool = new ProcessPool(2);
        var seen = new ConcurrentBag<(int Value, int Pid, int Thread)>();
        int caller = Environment.CurrentManagedThreadId;
        AsyncResult<int>[] results = Enumerable.Range(0, 4)
            .Select(_ => pool.ApplyAsync(Pid, callback: v => seen.Add((v, Environment.ProcessId, Environment.CurrentManagedThreadId))))
            .ToArray();
        int[] workerPids = results.Select(r => r.Get(s_patience)).ToArray();
        Assert.Equal(4, seen.Count);
        Assert.All(seen, s => Assert.Equal(Environment.ProcessId, s.Pid));
        Assert.All(seen, s => Assert.NotEqual(caller, s.Thread));
        Assert.All(workerPids, p => Assert.NotEqual(Environment.ProcessId, p));
        Assert.Equal(workerPids.Order(), seen.Select(s => s.Value).Order());
    }

    [Fact]
    public void A_task_that_throws_reaches_the_caller_and_the_error_callback()
    {
        using var pool = new ProcessPool(1);
        Exception? reported = null;
        AsyncResult<int> result = pool.ApplyAsync(Fail, 7, errorCallback: e => reported = e);
        var error = Assert.Throws<ChildProcessException>(() => result.Get(s_patience));
        Assert.Equal(typeof(InvalidOperationException).FullName, error.RemoteType);
        Assert.Equal("bad 7", error.RemoteMessage);
        Assert.Contains(nameof(Fail), error.RemoteStackTrace);
        Assert.Same(error, reported);
        Assert.False(result.Successful);
        Assert.Throws<ChildProcessException>(() => pool.Apply(Fail, 8));
        Assert.Equal(9, pool.Apply(Square, 3)); // the worker survived
    }

    [Fact]
    public void Get_with_a_timeout_and_readiness()
    {
        using var pool = new ProcessPool(1);
        AsyncResult<int> result = pool.ApplyAsync(SleepThenReturn, 1500);
        Assert.False(result.Ready);
        Assert.Throws<InvalidOperationException>(() => result.Successful);
        Assert.Throws<TimeoutException>(() => result.Get(TimeSpan.FromMilliseconds(50)));
        Assert.False(result.Wait(TimeSpan.FromMilliseconds(10)));
        Assert.True(result.Wait(s_patience));
        Assert.Equal(1500, result.Get());
    }

    [Fact]
    public async Task SubmitAsync_returns_tasks()
    {
        await using var pool = new ProcessPool(2);
        Task<int>[] tasks = Enumerable.Range(0, 20).Select(i => pool.SubmitAsync(Add, i, 1000)).ToArray();
        int[] results = await Task.WhenAll(tasks).WaitAsync(s_patience);
        Assert.Equal(Enumerable.Range(1000, 20), results);
        Assert.NotEqual(Environment.ProcessId, await pool.SubmitAsync(static () => Environment.ProcessId).WaitAsync(s_patience));
    }

    [Fact]
    public void Delegate_overloads_take_object_arguments()
    {
        using var pool = new ProcessPool(1);
        Assert.Equal(5, pool.Apply((Func<int, int, int>)Add, 2, 3));
        Assert.Equal(49, pool.ApplyAsync((Func<int, int>)Square, [7]).Get(s_patience));
        var wrongCount = Assert.Throws<ArgumentException>(() => pool.Apply((Func<int, int, int>)Add, 2));
        Assert.Contains("takes 2 arguments", wrongCount.Message);
        var wrongType = Assert.Throws<ArgumentException>(() => pool.Apply((Func<int, int>)Square, "x"));
        Assert.Contains("'x'", wrongType.Message);
    }

    [Fact]
    public void A_capturing_lambda_is_refused_with_what_it_captured()
    {
        using var pool = new ProcessPool(1);
        int offset = 3;
        var error = Assert.Throws<ArgumentException>(() => pool.Apply((int x) => x + offset, 1));
        Assert.Contains("offset", error.Message);
    }

    // ---- map family ----

    [Fact]
    public void Map_of_100000_items_with_chunks_returns_all_in_order()
    {
        using var pool = new ProcessPool(2);
        int[] items = Enumerable.Range(0, 100_000).ToArray();
        List<int> results = pool.Map(static (int x) => x * 3 + 1, items, chunkSize: 1000);
        Assert.Equal(items.Select(x => x * 3 + 1), results);
        List<int> byDefault = pool.Map(Square, Enumerable.Range(0, 1000));
        Assert.Equal(Enumerable.Range(0, 1000).Select(x => x * x), byDefault);
    }

    [Fact]
    public void MapAsync_Imap_ImapUnordered_and_Starmap()
    {
        using var pool = new ProcessPool(2);
        List<int>? called = null;
        AsyncResult<List<int>> mapped = pool.MapAsync(Square, Enumerable.Range(0, 50), chunkSize: 7, callback: r => called = r);
        Assert.Equal(Enumerable.Range(0, 50).Select(x => x * x), mapped.Get(s_patience));
        Assert.Same(mapped.Get(), called);
        Assert.Equal(Enumerable.Range(0, 30).Select(x => x * x), pool.Imap(Square, Enumerable.Range(0, 30)));
        Assert.Equal(Enumerable.Range(0, 30).Select(x => x * x), pool.ImapUnordered(Square, Enumerable.Range(0, 30), 4).Order());
        Assert.Equal([3, 7, 11], pool.Starmap(Add, [(1, 2), (3, 4), (5, 6)]));
        Assert.Equal([3, 7], pool.Starmap((Func<int, int, int>)Add, [[1, 2], [3, 4]]));
        Assert.Throws<ChildProcessException>(() => pool.Map(Fail, [1, 2, 3]));
    }

    [Fact]
    public async Task ImapAsync_streams_results_in_order()
    {
        await using var pool = new ProcessPool(2);
        var results = new List<int>();
        await foreach (int r in pool.ImapAsync(Square, Enumerable.Range(0, 40), chunkSize: 3))
        {
            results.Add(r);
        }
        Assert.Equal(Enumerable.Range(0, 40).Select(x => x * x), results);
        var unordered = new List<int>();
        await foreach (int r in pool.ImapUnorderedAsync(Square, Enumerable.Range(0, 40), chunkSize: 5))
        {
            unordered.Add(r);
        }
        Assert.Equal(results, unordered.Order());
    }

    [Fact]
    public async Task Cancellation_removes_queued_work_only()
    {
        string gate = Path.Combine(Path.GetTempPath(), $"plexus-gate-{Guid.NewGuid():N}");
        Directory.CreateDirectory(gate);
        try
        {
            using var pool = new ProcessPool(1);
            using var cts = new CancellationTokenSource();
            Task<int> blocker = pool.SubmitAsync(RunUntilReleased, gate, cts.Token);
            // Cancel only once the blocker is surely running and the rest surely queued behind it, however slow the machine.
            await WaitForFile(Path.Combine(gate, "started"));
            Task<int>[] queued = Enumerable.Range(0, 10).Select(i => pool.SubmitAsync(Square, i, cts.Token)).ToArray();
            cts.Cancel();
            File.WriteAllText(Path.Combine(gate, "release"), "");
            Assert.Equal(7, await blocker.WaitAsync(s_patience)); // already running: not interrupted
            await Task.WhenAny(Task.WhenAll(queued)).WaitAsync(s_patience);
            int cancelled = queued.Count(t => t.IsCanceled);
            // A worker may hold a few tasks beyond the one it runs (they are in its pipe, no longer cancellable).
            Assert.True(cancelled >= 8, $"only {cancelled} of 10 queued tasks were cancelled");
            Assert.All(queued.Where(t => !t.IsCanceled), t => Assert.True(t.IsCompletedSuccessfully));
            Assert.Equal(16, pool.Apply(Square, 4));
        }
        finally
        {
            Directory.Delete(gate, recursive: true);
        }
    }

    private static int RunUntilReleased(string gate)
    {
        File.WriteAllText(Path.Combine(gate, "started"), "");
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!File.Exists(Path.Combine(gate, "release")) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }
        return 7;
    }

    private static async Task WaitForFile(string path)
    {
        var deadline = DateTime.UtcNow + s_patience;
        while (!File.Exists(path))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{path} did not appear within {s_patience}");
            await Task.Delay(5);
        }
    }

    // ---- workers: initializer, recycling, crashes, termination ----

    [Fact]
    public void Initializer_runs_once_per_worker()
    {
        string path = Path.Combine(Path.GetTempPath(), $"plexus-init-{Guid.NewGuid():N}");
        try
        {
            var pool = new ProcessPool(2, initializer: (Action<string>)RecordPid, initArgs: [path]);
            using (pool)
            {
                int[] pids = pool.Map(static (int _) => Environment.ProcessId, Enumerable.Range(0, 40), chunkSize: 1).Distinct().ToArray();
                pool.Close();
                pool.Join();
                int[] initialized = ProcessLog.ReadLines(path).Select(int.Parse).ToArray();
                Assert.Equal(2, initialized.Length);
                Assert.Equal(initialized.Order(), initialized.Distinct().Order());
                Assert.Subset(initialized.ToHashSet(), pids.ToHashSet());
            }
        }
        finally
        {
            ProcessLog.Delete(path);
        }
    }

    [Fact]
    public void MaxTasksPerChild_replaces_workers()
    {
        using var pool = new ProcessPool(1, maxTasksPerChild: 2);
        int[] pids = Enumerable.Range(0, 6).Select(_ => pool.Apply(Pid)).ToArray();
        Assert.Equal(3, pids.Distinct().Count());
        Assert.All(pids.GroupBy(p => p), g => Assert.Equal(2, g.Count()));
    }

    [Fact]
    public async Task A_worker_killed_mid_task_fails_only_that_task()
    {
        string path = Path.Combine(Path.GetTempPath(), $"plexus-victim-{Guid.NewGuid():N}");
        try
        {
            using var pool = new ProcessPool(2);
            Task<int> victim = pool.SubmitAsync(WritePidThenSleep, path);
            Task<int>[] others = Enumerable.Range(0, 1000).Select(i => pool.SubmitAsync(Square, i)).ToArray();
            int pid = WaitForPid(path);
            Assert.True(ProcessIds.Signal(pid, ProcessIds.SigKill));
            var died = await Assert.ThrowsAsync<ProcessPoolWorkerDiedException>(() => victim.WaitAsync(s_patience));
            Assert.Equal(pid, died.Pid);
            Assert.Equal(-9, died.ExitCode);
            Assert.Contains("signal 9", died.Message);
            int[] results = await Task.WhenAll(others).WaitAsync(s_patience);
            Assert.Equal(Enumerable.Range(0, 1000).Select(i => i * i), results);
            Assert.Equal(2, pool.WorkerPids.Count);
            Assert.DoesNotContain(pid, pool.WorkerPids);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Environment_Exit_in_a_task_is_reported_and_the_pool_goes_on()
    {
        using var pool = new ProcessPool(1);
        int before = pool.WorkerPids.Single();
        var died = Assert.Throws<ProcessPoolWorkerDiedException>(() => pool.Apply(ExitWith, 3));
        Assert.Equal(3, died.ExitCode);
        Assert.Equal(before, died.Pid);
        Assert.Contains("exited with code 3", died.Message);
        Assert.Equal(25, pool.Apply(Square, 5));
        Assert.NotEqual(before, pool.WorkerPids.Single());
    }

    [Fact]
    public void An_unserializable_return_value_is_a_clear_error_not_a_dead_worker()
    {
        using var pool = new ProcessPool(1);
        int pid = pool.WorkerPids.Single();
        var error = Assert.Throws<ChildProcessException>(() => pool.Apply(ReturnsThread, 1));
        Assert.Equal(typeof(NotSerializableException).FullName, error.RemoteType);
        Assert.Contains("System.Threading.Thread", error.RemoteMessage);
        Assert.Contains(nameof(ReturnsThread), error.RemoteMessage);
        Assert.Equal(4, pool.Apply(Square, 2));
        Assert.Equal(pid, pool.WorkerPids.Single());
    }

    [Fact]
    public void Terminate_with_tasks_running_leaves_no_process()
    {
        var pool = new ProcessPool(2);
        int[] pids;
        Task<int>[] tasks;
        try
        {
            tasks = Enumerable.Range(0, 6).Select(_ => pool.SubmitAsync(SleepThenReturn, 20_000)).ToArray();
            pids = [.. pool.WorkerPids];
            Assert.Equal(2, pids.Length);
            Thread.Sleep(300);
        }
        finally
        {
            pool.Terminate();
        }
        Assert.All(pids, p => Assert.False(Directory.Exists($"/proc/{p}"), $"worker {p} is still there"));
        Assert.All(tasks, t => Assert.IsType<ObjectDisposedException>(Assert.ThrowsAny<Exception>(() => t.GetAwaiter().GetResult())));
        Assert.Throws<ObjectDisposedException>(() => pool.Apply(Square, 1));
    }

    [Fact]
    public void Close_refuses_new_work_and_Join_needs_Close()
    {
        using var pool = new ProcessPool(2);
        Assert.Throws<InvalidOperationException>(pool.Join);
        AsyncResult<int> queued = pool.ApplyAsync(SleepThenReturn, 200);
        int[] pids = [.. pool.WorkerPids];
        pool.Close();
        Assert.Throws<InvalidOperationException>(() => pool.Apply(Square, 1));
        pool.Join();
        Assert.True(queued.Ready);
        Assert.Equal(200, queued.Get());
        Assert.All(pids, p => Assert.False(Directory.Exists($"/proc/{p}"), $"worker {p} is still there after Join"));
    }

    private static int WaitForPid(string path)
    {
        DateTime deadline = DateTime.UtcNow + s_patience;
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(path) && int.TryParse(File.ReadAllText(path), out int pid))
            {
                return pid;
            }
            Thread.Sleep(10);
        }
        throw new TimeoutException("the task never started");
    }
}
