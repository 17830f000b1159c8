using System.Globalization;

namespace Plexus.Processes.Tests;

/// <summary>
/// A pool starts at most one runtime per core but one at once (the parent keeps a core); the other
/// workers start once a first one is up. These check that the held-back workers do start, that tasks
/// queued meanwhile wait for them rather than piling onto the first worker, and that a pool ended
/// before then leaves no process behind. Alone: idle warm hosts (which start no runtime) are turned off.
/// </summary>
[Collection(RunAlone.Name)]
public class ProcessPoolHeldBackTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(60);

    private static int ColdAtOnce => Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>Logs this worker's pid, then waits until <paramref name="workers"/> distinct workers have logged theirs.</summary>
    private static int PidOnceAllHaveStarted(string log, int workers)
    {
        ProcessLog.Append(log, Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (ProcessLog.ReadLines(log).Distinct().Count() < workers && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
        return Environment.ProcessId;
    }

    private static void SlowInit(string log)
    {
        ProcessLog.Append(log, DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture));
        Thread.Sleep(3000);
    }

    [Fact]
    public void Runtimes_start_one_per_spare_core_and_every_worker_takes_a_task()
    {
        int workers = ColdAtOnce + 2;
        string log = Path.Combine(Path.GetTempPath(), $"plexus-heldback-{Guid.NewGuid():N}");
        try
        {
            ChildProcess.Prestart(0); // an idle host would be taken first, and counted
            using var pool = new ProcessPool(workers);
            Assert.Equal(ColdAtOnce, pool.WorkerPids.Count);
            // Each task waits until every worker has one: it passes only if the tasks queued while workers
            // were held back were spread over all of them, not queued up on the first.
            List<int> pids = pool.Map(static n => PidOnceAllHaveStarted(n.Log, n.Workers),
                Enumerable.Repeat((Log: log, Workers: workers), workers), chunkSize: 1);
            Assert.Equal(workers, pids.Distinct().Count());
            Assert.Equal(workers, pool.WorkerPids.Count);
        }
        finally
        {
            ProcessLog.Delete(log);
        }
    }

    [Fact]
    public void Close_right_after_the_start_still_runs_the_queued_tasks_on_every_worker()
    {
        int workers = ColdAtOnce + 1;
        string log = Path.Combine(Path.GetTempPath(), $"plexus-heldback-close-{Guid.NewGuid():N}");
        try
        {
            var pool = new ProcessPool(workers);
            using (pool)
            {
                AsyncResult<int>[] results = [.. Enumerable.Range(0, workers).Select(_ => pool.ApplyAsync(PidOnceAllHaveStarted, log, workers))];
                pool.Close();
                Assert.True(pool.Join(s_patience), "Join did not return");
                Assert.Equal(workers, results.Select(r => r.Get(s_patience)).Distinct().Count());
            }
        }
        finally
        {
            ProcessLog.Delete(log);
        }
    }

    [Fact]
    public void A_pool_ended_before_its_held_back_workers_started_leaves_no_worker()
    {
        var pool = new ProcessPool(ColdAtOnce + 2);
        int first = pool.WorkerPids[0];
        string prefix = ChildProcess.ActiveChildren().Single(c => c.Pid == first).Name.Split('.')[0] + ".";
        pool.Dispose();
        // Past the held-back limit (1 s), when they would start if nothing had stopped them.
        Thread.Sleep(1500);
        Assert.DoesNotContain(ChildProcess.ActiveChildren(), c => c.Name.StartsWith(prefix, StringComparison.Ordinal));
        Assert.False(Directory.Exists($"/proc/{first}"), $"worker {first} is still there");
    }

    [Fact]
    public void With_an_initializer_the_held_back_workers_start_once_a_first_runtime_is_up()
    {
        // An initializer may run long: the other workers must not wait for it to end (3 s here) before starting theirs.
        string log = Path.Combine(Path.GetTempPath(), $"plexus-heldback-init-{Guid.NewGuid():N}");
        try
        {
            using (var pool = new ProcessPool(ColdAtOnce + 1, initializer: (Action<string>)SlowInit, initArgs: [log]))
            {
                pool.Map(static x => x, Enumerable.Range(0, ColdAtOnce + 1), chunkSize: 1);
            }
            long[] starts = [.. ProcessLog.ReadLines(log).Select(l => long.Parse(l, CultureInfo.InvariantCulture)).Order()];
            Assert.Equal(ColdAtOnce + 1, starts.Length);
            TimeSpan spread = TimeSpan.FromTicks(starts[^1] - starts[0]);
            Assert.True(spread < TimeSpan.FromSeconds(3), $"the last initializer started {spread.TotalMilliseconds:F0} ms after the first (it waited for it to end)");
        }
        finally
        {
            ProcessLog.Delete(log);
        }
    }
}
