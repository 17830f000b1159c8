namespace Plexus.Processes.Tests;

/// <summary>Shareable objects as a pool's initializer arguments and as task arguments.</summary>
public class PoolShareableTests
{
    private const int Workers = 4;
    private const int PerWorker = 2_000;

    // Set in each worker by its initializer (Python's `global lock` in `init(l)`).
    private static ProcessLock? s_lock;
    private static ProcessValue<int>? s_counter;

    private static void Init(ProcessLock gate, ProcessValue<int> counter)
    {
        s_lock = gate;
        s_counter = counter;
    }

    /// <summary>Adds one <paramref name="times"/> times, reading and writing apart: only the lock keeps increments from being lost.</summary>
    private static int Bump(int times)
    {
        for (int i = 0; i < times; i++)
        {
            using (s_lock!.Acquire())
            {
                int seen = s_counter!.Value;
                Thread.Yield();
                s_counter.Value = seen + 1;
            }
        }
        return ProcessInfo.Pid;
    }

    [Fact]
    public void A_lock_passed_as_an_initializer_argument_serializes_every_worker()
    {
        using var gate = new ProcessLock();
        using var counter = new ProcessValue<int>(0, synchronized: false);
        using var pool = new ProcessPool(Workers, initializer: Init, initArgs: [gate, counter]);

        List<int> pids = pool.Map(Bump, Enumerable.Repeat(PerWorker, Workers), chunkSize: 1);

        Assert.Equal(Workers * PerWorker, counter.Value);
        Assert.DoesNotContain(ProcessInfo.Pid, pids);
    }

    private sealed record QueueItem(ManagedQueue Queue, int Value);

    private static int PutInto(QueueItem item)
    {
        item.Queue.Put(item.Value * 10);
        return ProcessInfo.Pid;
    }

    [Fact]
    public void A_manager_queue_passed_to_map_tasks_receives_every_item()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedQueue queue = manager.CreateQueue();
        using var pool = new ProcessPool(2);

        List<int> pids = pool.Map(PutInto, Enumerable.Range(0, 50).Select(i => new QueueItem(queue, i)), chunkSize: 5);

        Assert.DoesNotContain(ProcessInfo.Pid, pids);
        var received = new List<int>();
        for (int i = 0; i < 50; i++)
        {
            Assert.True(queue.TryGet(out object? item, TimeSpan.FromSeconds(30)), $"only {i} of 50 items arrived");
            received.Add(Convert.ToInt32(item, System.Globalization.CultureInfo.InvariantCulture));
        }
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i * 10), received.Order());
    }

    private static bool HoldsOther(ProcessLock gate) => !gate.TryAcquire();

    [Fact]
    public void A_lock_passed_as_a_task_argument_is_the_same_lock_in_the_worker()
    {
        using var gate = new ProcessLock();
        using var pool = new ProcessPool(1);
        using (gate.Acquire())
        {
            Assert.True(pool.Apply(HoldsOther, gate));
        }
        Assert.False(pool.Apply(HoldsOther, gate));
    }

    private static void InitWithStream(ProcessLock gate, Stream log) => s_lock = gate;

    [Fact]
    public void A_pool_refused_for_its_initializer_arguments_keeps_no_descriptor_of_the_ones_already_written()
    {
        using var gate = new ProcessLock();
        using var log = new MemoryStream();
        Assert.ThrowsAny<Exception>(() => new ProcessPool(1, initializer: InitWithStream, initArgs: [gate, log])); // first use loads what it needs
        int before = Directory.GetFiles("/proc/self/fd").Length;

        for (int i = 0; i < 5; i++)
        {
            Assert.ThrowsAny<Exception>(() => new ProcessPool(1, initializer: InitWithStream, initArgs: [gate, log]));
        }

        // The hosts the pools started are dismissed and their sockets closed, maybe a moment later.
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        int after;
        while ((after = Directory.GetFiles("/proc/self/fd").Length) > before && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }
        Assert.True(after <= before, $"descriptors before {before}, after 5 refused pools {after}");
    }
}
