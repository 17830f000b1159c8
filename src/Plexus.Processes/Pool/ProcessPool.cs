using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Plexus.Processes.Hosting;
using Plexus.Processes.Serialization;

namespace Plexus.Processes;

/// <summary>
/// A pool of worker processes that run tasks (static methods or lambdas that capture nothing);
/// mirrors Python's <c>multiprocessing.Pool</c>, with a <see cref="Task{TResult}"/> API beside it.
/// </summary>
/// <remarks>
/// Each worker is a <see cref="ChildProcess"/> joined to the pool by a duplex pipe. A task's target
/// is sent to a worker once and then named by a number; its arguments travel by their declared
/// parameter types and its result by the method's return type (a map chunk of primitives travels
/// as raw memory). A worker holds a few tasks at a time (so it never waits for work; more when its
/// tasks are tiny, several to a write) and answers them in order, so when it dies the pool knows
/// which task was running: that task fails with <see cref="ProcessPoolWorkerDiedException"/>, the
/// tasks queued behind it go to other workers, and a replacement worker starts. A task that throws
/// fails with <see cref="ChildProcessException"/> carrying the worker's exception type, message and
/// stack. A worker whose initializer throws runs no task (its tasks go to other workers); when
/// several in a row fail so, the pool is broken and its tasks fail with
/// <see cref="ProcessPoolInitializerException"/>. Callbacks run in this process on a thread-pool
/// thread, never on the caller's thread.
/// </remarks>
public sealed partial class ProcessPool : IProcessPool
{
    [ThreadStatic, System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006", Justification = "t_ marks a thread-static field")]
    private static bool t_onReaderThread;
    private static int s_poolCounter;

    // _pending, _workers, the workers' states and in-flight queues, and the flags below change under _lock.
    private readonly object _lock = new();
    private readonly LinkedList<PoolJob> _pending = new();
    private readonly List<PoolWorkerHandle> _workers = [];
    private readonly ConcurrentDictionary<MethodInfo, PoolTarget> _targets = new();
    private readonly byte[] _setup;
    // Keeps the descriptors of shareable initializer arguments fetchable by every worker the pool starts.
    private readonly ShareScope _initShares = new();
    private readonly string _initializerName = "";
    private readonly int? _maxTasksPerChild;
    private readonly int _poolId = Interlocked.Increment(ref s_poolCounter);
    private int _workerCounter;
    private long _jobCounter;
    private bool _closed;
    private bool _terminated;

    /// <summary>Starts a pool (Python's <c>Pool(processes, initializer, initargs, maxtasksperchild)</c>).</summary>
    /// <param name="processes">Number of workers; default <see cref="Environment.ProcessorCount"/>.</param>
    /// <param name="initializer">
    /// A static method (or non-capturing lambda) each worker runs once before its first task. If it
    /// throws, that worker runs no task and is replaced; if it throws in several workers in a row,
    /// tasks fail with <see cref="ProcessPoolInitializerException"/>.
    /// </param>
    /// <param name="initArgs">Arguments for <paramref name="initializer"/>.</param>
    /// <param name="maxTasksPerChild">Tasks (a map chunk counts as one) a worker runs before it is replaced; default: no limit.</param>
    /// <exception cref="ArgumentException">A count is not positive, or the initializer or its arguments cannot cross to a process.</exception>
    public ProcessPool(int? processes = null, Delegate? initializer = null, object?[]? initArgs = null, int? maxTasksPerChild = null)
    {
        int count = processes ?? Environment.ProcessorCount;
        if (count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(processes), count, "a pool needs at least one process");
        }
        if (maxTasksPerChild is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxTasksPerChild), maxTasksPerChild, "maxTasksPerChild must be at least 1 (or null for no limit)");
        }
        if (initializer is null && initArgs is { Length: > 0 })
        {
            throw new ArgumentException("initArgs were given without an initializer", nameof(initArgs));
        }
        _maxTasksPerChild = maxTasksPerChild;
        Processes = count;
        // The workers' runtimes start up first, while this process encodes the setup and builds their
        // launches: in a program's first pool those are first uses (MessagePack, reflection), tens of ms.
        HostSpawner.Host[] hosts = ReserveHosts(count);
        try
        {
            if (initializer is not null)
            {
                PoolTarget init = PoolTarget.From(initializer);
                _setup = PoolWire.EncodeSetup(init.Target, init.EncodeCall(initArgs ?? [], nameof(initArgs), PlexusSerializerOptions.Create(null, _initShares)));
                _initializerName = init.Target.DisplayName;
            }
            else
            {
                _setup = PoolWire.EncodeSetup(null, []);
            }
        }
        catch
        {
            // An initArgs entry already left with the resource sharer would hold its descriptors until exit.
            _initShares.Dispose();
            Array.ForEach(hosts, HostSpawner.Dismiss);
            throw;
        }
        _heldBack = count - hosts.Length;
        StartWorkers(hosts);
        if (_heldBack > 0)
        {
            // Without an initializer the rest start once a first worker is ready (OnStartReport); an initializer
            // may run long, so then they start once a first runtime is up, and all the initializers run side by side.
            if (initializer is not null)
            {
                hosts[^1].WhenConnected(_ => ThreadPool.UnsafeQueueUserWorkItem(static pool => pool.StartHeldBack(), this, preferLocal: false));
            }
            _ = Task.Delay(s_heldBackLimit).ContinueWith(static (_, pool) => ((ProcessPool)pool!).StartHeldBack(), this, TaskScheduler.Default);
        }
    }

    /// <summary>The number of worker processes the pool keeps.</summary>
    public int Processes { get; }

    /// <summary>The process ids of the workers running now (they change when a worker is replaced).</summary>
    public IReadOnlyList<int> WorkerPids
    {
        get
        {
            lock (_lock)
            {
                return _workers.Where(w => w.IsUp).Select(w => w.Pid).ToArray();
            }
        }
    }

    /// <summary>Refuses new tasks; queued and running ones still complete (Python's <c>close</c>).</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
        }
    }

    /// <summary>Kills every worker at once; unfinished tasks fail with <see cref="ObjectDisposedException"/> (Python's <c>terminate</c>).</summary>
    public void Terminate()
    {
        foreach (PoolWorkerHandle worker in KillWorkers())
        {
            // The reader thread reaps its worker (it owns the ChildProcess): once it returns, no process is left.
            if (worker.Reader != Thread.CurrentThread)
            {
                worker.Reader.Join();
            }
        }
    }

    /// <summary>
    /// Waits for every queued task to finish and the workers to exit (Python's <c>join</c>); call
    /// <see cref="Close"/> or <see cref="Terminate"/> first.
    /// </summary>
    public void Join() => Join(Timeout.InfiniteTimeSpan);

    /// <summary>Like <see cref="Join()"/>, giving up after <paramref name="timeout"/> or when <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <returns><c>false</c> when the time ran out first (tasks or workers are still running; call Join again to keep waiting).</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public bool Join(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "the timeout must be positive (or Timeout.InfiniteTimeSpan)");
        }
        long start = Stopwatch.GetTimestamp();
        List<PoolWorkerHandle> workers;
        using (cancellationToken.UnsafeRegister(static pool => ((ProcessPool)pool!).PulseWaiters(), this))
        {
            lock (_lock)
            {
                if (!_closed)
                {
                    throw new InvalidOperationException("Join waits for the pool to finish, which needs Close() (or Terminate()) first; otherwise new tasks could keep it running forever");
                }
                while (!_terminated && (_pending.Count > 0 || _workers.Any(w => w.InFlight.Count > 0)))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    TimeSpan left = Left(timeout, start);
                    if (left == TimeSpan.Zero)
                    {
                        return false;
                    }
                    Monitor.Wait(_lock, left);
                }
                workers = [.. _workers];
                foreach (PoolWorkerHandle worker in workers)
                {
                    if (worker.State != PoolWorkerState.Stopping)
                    {
                        worker.MoveTo(PoolWorkerState.Stopping);
                    }
                    WakeReader(worker);
                }
            }
        }
        foreach (PoolWorkerHandle worker in workers)
        {
            worker.SendStop();
        }
        return Task.WhenAll(workers.Select(w => w.ReaderDone)).Wait(Left(timeout, start), cancellationToken);
    }

    /// <summary>Terminates the pool (as Python's <c>with Pool() as p:</c> does on exit) and reaps every worker.</summary>
    public void Dispose() => Terminate();

    /// <summary>Terminates the pool and waits, without blocking a thread, until every worker is reaped.</summary>
    public async ValueTask DisposeAsync()
    {
        List<PoolWorkerHandle> workers = KillWorkers();
        await Task.WhenAll(workers.Where(w => w.Reader != Thread.CurrentThread).Select(w => w.ReaderDone)).ConfigureAwait(false);
    }

    /// <summary>
    /// Kills every worker and fails the unfinished tasks (the first call only); returns the workers,
    /// whose reader threads reap them.
    /// </summary>
    private List<PoolWorkerHandle> KillWorkers()
    {
        List<PoolWorkerHandle> workers;
        List<PoolJob> orphans = [];
        lock (_lock)
        {
            if (_terminated)
            {
                return [];
            }
            _terminated = _closed = true;
            _initShares.Dispose();
            workers = [.. _workers];
            _workers.Clear();
            orphans.AddRange(_pending);
            _pending.Clear();
            foreach (PoolWorkerHandle worker in workers)
            {
                orphans.AddRange(worker.InFlight);
                worker.InFlight.Clear();
                WakeReader(worker);
            }
            Monitor.PulseAll(_lock);
        }
        foreach (PoolWorkerHandle worker in workers)
        {
            worker.Kill();
            // Unblocks the reader even if the worker died before it took its pipe end (then no EOF would come).
            worker.Connection.Dispose();
        }
        var error = new ObjectDisposedException(nameof(ProcessPool), "the pool was terminated before this task finished");
        foreach (PoolJob job in orphans)
        {
            job.Fail(error);
        }
        return workers;
    }

    /// <summary>Wakes the threads waiting on the pool's lock (Join) to look again.</summary>
    private void PulseWaiters()
    {
        lock (_lock)
        {
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>What is left of <paramref name="timeout"/> since <paramref name="start"/> (infinite stays infinite).</summary>
    private static TimeSpan Left(TimeSpan timeout, long start)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return timeout;
        }
        TimeSpan left = timeout - Stopwatch.GetElapsedTime(start);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
