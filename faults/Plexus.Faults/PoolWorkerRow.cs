using Plexus.Processes;

namespace Plexus.Faults;

/// <summary>
/// A pool of two workers running 300 short tasks. Kill a worker: every task ends, with its result or
/// with <see cref="ProcessPoolWorkerDiedException"/> naming the dead pid (only tasks that worker held),
/// and the pool (with a replacement worker) then maps 20 more correctly. Stop a worker: every result is
/// right.
/// </summary>
internal sealed class PoolWorkerRow(Fault fault) : Row
{
    private const int Tasks = 300;

    public override string Name => $"pool-worker-{Victim.Suffix(fault)}";

    public override string Description => fault == Fault.Kill
        ? "SIGKILL a pool worker under 300 tasks: each task a result or WorkerDied naming it; pool maps on"
        : "SIGSTOP/SIGCONT a pool worker under 300 tasks: every result right";

    public override void Trial(Random random)
    {
        using var pool = new ProcessPool(2);
        var tasks = new Task<long>[Tasks];
        for (int i = 0; i < Tasks; i++)
        {
            tasks[i] = pool.SubmitAsync(Square, (long)i);
        }
        Check.Within(TimeSpan.FromSeconds(10), () => tasks.Any(t => t.IsCompleted), "first result");
        IReadOnlyList<int> workers = pool.WorkerPids;
        int victim = workers[random.Next(workers.Count)];
        Victim.Hit(victim, fault, random, maxDelayMs: 150);
        Check.That(Task.WaitAll(tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)).ToArray(), TimeSpan.FromSeconds(20)),
            "tasks still pending 20 s after the fault");
        int died = 0;
        for (int i = 0; i < Tasks; i++)
        {
            Task<long> task = tasks[i];
            if (task.IsCompletedSuccessfully)
            {
                Check.That(task.Result == (long)i * i, $"task {i} returned {task.Result}");
                continue;
            }
            Exception e = task.Exception?.InnerException ?? new InvalidOperationException("cancelled");
            Check.That(fault == Fault.Kill && e is ProcessPoolWorkerDiedException, $"task {i} failed: {e.GetType().Name}: {e.Message}");
            var dead = (ProcessPoolWorkerDiedException)e;
            Check.That(dead.Pid == victim, $"task {i} blamed pid {dead.Pid}, the killed worker was {victim}");
            Check.Clear(e, "worker died");
            died++;
        }
        Check.That(died <= Tasks / 4, $"{died} tasks failed for one dead worker");
        // A kill that landed after the last task hits an idle worker: the map must wait for its replacement,
        // or it would hand a chunk to the dead worker (and rightly fail with WorkerDied).
        Check.Within(TimeSpan.FromSeconds(5), () => fault == Fault.Stop || !pool.WorkerPids.Contains(victim), "the pool replacing the killed worker");
        List<long> after = Check.Within(TimeSpan.FromSeconds(20), pool.MapTaskAsync(Square, Enumerable.Range(0, 20).Select(i => (long)i)), "map after the fault");
        Check.That(after.SequenceEqual(Enumerable.Range(0, 20).Select(i => (long)i * i)), "map after the fault returned wrong results");
        pool.Close();
        Check.That(pool.Join(TimeSpan.FromSeconds(10)), "pool did not join within 10 s");
    }

    private static long Square(long x)
    {
        Thread.SpinWait(20_000);
        return x * x;
    }
}
