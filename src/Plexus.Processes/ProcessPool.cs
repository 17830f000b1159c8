using System.Buffers;
using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using MessagePack;
using Plexus.Processes.Serialization;

namespace Plexus.Processes;

/// <summary>
/// A pool of worker processes that run tasks (static methods or lambdas that capture nothing);
/// mirrors Python's <c>multiprocessing.Pool</c>, with a <see cref="Task{TResult}"/> API beside it.
/// </summary>
/// <remarks>
/// Each worker is a <see cref="ChildProcess"/> joined to the pool by a duplex pipe. A task's target
/// is sent to a worker once and then named by a number; its arguments travel by their declared
/// parameter types and its result by the method's return type. A worker holds a few tasks at a
/// time (so it never waits for work) and answers them in order, so when it dies the pool knows
/// which task was running: that task fails with <see cref="ProcessPoolWorkerDiedException"/>, the
/// tasks queued behind it go to other workers, and a replacement worker starts. A task that throws
/// fails with <see cref="ChildProcessException"/> carrying the worker's exception type, message and
/// stack. Callbacks run in this process on a thread-pool thread, never on the caller's thread.
/// </remarks>
public sealed class ProcessPool : IDisposable, IAsyncDisposable
{
    private const int MaxInFlight = 3;
    private const int LargePayload = 32 * 1024;
    [ThreadStatic] private static bool _onReaderThread;
    private static int _poolCounter;

    private readonly object _lock = new();
    private readonly LinkedList<Job> _pending = new();
    private readonly List<Worker> _workers = [];
    private readonly ConcurrentDictionary<MethodInfo, TargetInfo> _targets = new();
    private readonly byte[] _setup;
    private readonly int? _maxTasksPerChild;
    private readonly int _poolId = Interlocked.Increment(ref _poolCounter);
    private int _workerCounter;
    private int _nextWorker;
    private long _jobCounter;
    private int _barrenDeaths;
    private bool _closed;
    private bool _terminated;
    private Exception? _broken;

    /// <summary>Starts a pool (Python's <c>Pool(processes, initializer, initargs, maxtasksperchild)</c>).</summary>
    /// <param name="processes">Number of workers; default <see cref="Environment.ProcessorCount"/>.</param>
    /// <param name="initializer">A static method (or non-capturing lambda) each worker runs once before its first task.</param>
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
        _maxTasksPerChild = maxTasksPerChild;
        var setup = new PoolWorkerSetup();
        if (initializer is not null)
        {
            TargetInfo init = TargetInfo.From(initializer);
            setup.AssemblyName = init.Target.AssemblyName;
            setup.ModuleVersionId = init.Target.ModuleVersionId;
            setup.MetadataToken = init.Target.MetadataToken;
            setup.DisplayName = init.Target.DisplayName;
            setup.Arguments = init.EncodeCall(initArgs ?? [], nameof(initArgs));
        }
        else if (initArgs is { Length: > 0 })
        {
            throw new ArgumentException("initArgs were given without an initializer", nameof(initArgs));
        }
        _setup = PlexusSerializer.Serialize(setup);
        Processes = count;
        lock (_lock)
        {
            for (int i = 0; i < count; i++)
            {
                _workers.Add(StartWorker());
            }
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
                return _workers.Where(w => !w.Stopping).Select(w => w.Pid).ToArray();
            }
        }
    }

    // ---- apply (Python's apply: blocks until the result arrives) ----

    /// <summary>Runs <paramref name="func"/> in a worker and waits for its result (Python's <c>apply</c>).</summary>
    /// <exception cref="ChildProcessException">The task threw in the worker.</exception>
    /// <exception cref="ProcessPoolWorkerDiedException">The worker died while running it.</exception>
    public TResult Apply<TResult>(Func<TResult> func) => Single<TResult>(func, []).GetAwaiter().GetResult();

    /// <summary>Runs <paramref name="func"/>(<paramref name="arg1"/>) in a worker and waits for its result (Python's <c>apply</c>).</summary>
    public TResult Apply<T1, TResult>(Func<T1, TResult> func, T1 arg1) => Single<TResult>(func, [arg1]).GetAwaiter().GetResult();

    /// <summary>Runs <paramref name="func"/> with two arguments in a worker and waits for its result (Python's <c>apply</c>).</summary>
    public TResult Apply<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2) => Single<TResult>(func, [arg1, arg2]).GetAwaiter().GetResult();

    /// <summary>Runs <paramref name="action"/>(<paramref name="arg1"/>) in a worker and waits for it to finish (Python's <c>apply</c>).</summary>
    public void Apply<T1>(Action<T1> action, T1 arg1) => Single<object?>(action, [arg1]).GetAwaiter().GetResult();

    /// <summary>Runs any static <paramref name="func"/> with <paramref name="args"/> in a worker and waits (Python's <c>apply(func, args)</c>).</summary>
    public object? Apply(Delegate func, params object?[] args) => Single<object?>(func, args ?? [null]).GetAwaiter().GetResult();

    // ---- apply_async (Python's apply_async with callback and error_callback) ----

    /// <summary>Queues <paramref name="func"/> (Python's <c>apply_async</c>).</summary>
    /// <param name="func">The task.</param>
    /// <param name="callback">Runs in this process, on a thread-pool thread, with the result, before the result is ready.</param>
    /// <param name="errorCallback">Runs in this process, on a thread-pool thread, with the exception when the task fails.</param>
    public AsyncResult<TResult> ApplyAsync<TResult>(Func<TResult> func, Action<TResult>? callback = null, Action<Exception>? errorCallback = null)
        => WithCallbacks(Single<TResult>(func, []), callback, errorCallback);

    /// <summary>Queues <paramref name="func"/>(<paramref name="arg1"/>) (Python's <c>apply_async</c>); see <see cref="ApplyAsync{TResult}(Func{TResult}, Action{TResult}?, Action{Exception}?)"/>.</summary>
    public AsyncResult<TResult> ApplyAsync<T1, TResult>(Func<T1, TResult> func, T1 arg1, Action<TResult>? callback = null, Action<Exception>? errorCallback = null)
        => WithCallbacks(Single<TResult>(func, [arg1]), callback, errorCallback);

    /// <summary>Queues <paramref name="func"/> with two arguments (Python's <c>apply_async</c>).</summary>
    public AsyncResult<TResult> ApplyAsync<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2, Action<TResult>? callback = null, Action<Exception>? errorCallback = null)
        => WithCallbacks(Single<TResult>(func, [arg1, arg2]), callback, errorCallback);

    /// <summary>Queues any static <paramref name="func"/> with <paramref name="args"/> (Python's <c>apply_async(func, args, callback=, error_callback=)</c>).</summary>
    public AsyncResult<object?> ApplyAsync(Delegate func, object?[] args, Action<object?>? callback = null, Action<Exception>? errorCallback = null)
        => WithCallbacks(Single<object?>(func, args), callback, errorCallback);

    // ---- .NET-native submit ----

    /// <summary>Runs <paramref name="func"/> in a worker; cancelling <paramref name="cancellationToken"/> removes it if it has not been sent to a worker yet.</summary>
    public Task<TResult> SubmitAsync<TResult>(Func<TResult> func, CancellationToken cancellationToken = default)
        => Single<TResult>(func, [], cancellationToken);

    /// <summary>Runs <paramref name="func"/>(<paramref name="arg1"/>) in a worker; the token cancels it while it is still queued.</summary>
    public Task<TResult> SubmitAsync<T1, TResult>(Func<T1, TResult> func, T1 arg1, CancellationToken cancellationToken = default)
        => Single<TResult>(func, [arg1], cancellationToken);

    /// <summary>Runs <paramref name="func"/> with two arguments in a worker; the token cancels it while it is still queued.</summary>
    public Task<TResult> SubmitAsync<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2, CancellationToken cancellationToken = default)
        => Single<TResult>(func, [arg1, arg2], cancellationToken);

    // ---- map family ----

    /// <summary>Applies <paramref name="func"/> to every item and returns the results in order (Python's <c>map</c>).</summary>
    /// <param name="func">The task.</param>
    /// <param name="items">The inputs.</param>
    /// <param name="chunkSize">Items per message to a worker; default as Python: about a quarter of an even share per worker.</param>
    /// <exception cref="ChildProcessException">A task threw (the first error fails the whole map, as in Python).</exception>
    public List<TResult> Map<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunkSize = null)
        => MapTask(func, items, chunkSize, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Starts a <see cref="Map{T, TResult}"/> and returns at once (Python's <c>map_async</c>).</summary>
    public AsyncResult<List<TResult>> MapAsync<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunkSize = null,
        Action<List<TResult>>? callback = null, Action<Exception>? errorCallback = null)
        => WithCallbacks(MapTask(func, items, chunkSize, CancellationToken.None), callback, errorCallback);

    /// <summary>Like <see cref="Map{T, TResult}"/> as a task; the token cancels the chunks not yet sent to a worker.</summary>
    public Task<List<TResult>> MapTaskAsync<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunkSize = null, CancellationToken cancellationToken = default)
        => MapTask(func, items, chunkSize, cancellationToken);

    /// <summary>Yields results in input order as they become available (Python's <c>imap</c>; default chunk size 1).</summary>
    public IEnumerable<TResult> Imap<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize = 1)
    {
        List<Task<TResult[]>> chunks = SubmitChunks<T, TResult>(Target(func), items, chunkSize, CancellationToken.None);
        return Ordered(chunks);

        static IEnumerable<TResult> Ordered(List<Task<TResult[]>> chunks)
        {
            foreach (Task<TResult[]> chunk in chunks)
            {
                foreach (TResult result in chunk.GetAwaiter().GetResult())
                {
                    yield return result;
                }
            }
        }
    }

    /// <summary>Yields results in the order they finish (Python's <c>imap_unordered</c>).</summary>
    public IEnumerable<TResult> ImapUnordered<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize = 1)
    {
        List<Task<TResult[]>> chunks = SubmitChunks<T, TResult>(Target(func), items, chunkSize, CancellationToken.None);
        return Unordered(chunks);

        static IEnumerable<TResult> Unordered(List<Task<TResult[]>> chunks)
        {
            var remaining = new List<Task<TResult[]>>(chunks);
            while (remaining.Count > 0)
            {
                int index = Task.WaitAny([.. remaining]);
                Task<TResult[]> done = remaining[index];
                remaining.RemoveAt(index);
                foreach (TResult result in done.GetAwaiter().GetResult())
                {
                    yield return result;
                }
            }
        }
    }

    /// <summary>
    /// Streams results in input order without blocking a thread (an asynchronous <c>imap</c>); the
    /// token cancels the chunks not yet sent to a worker and ends the enumeration.
    /// </summary>
    public async IAsyncEnumerable<TResult> ImapAsync<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize = 1,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<Task<TResult[]>> chunks = SubmitChunks<T, TResult>(Target(func), items, chunkSize, cancellationToken);
        foreach (Task<TResult[]> chunk in chunks)
        {
            foreach (TResult result in await chunk.WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return result;
            }
        }
    }

    /// <summary>Streams results in the order they finish (an asynchronous <c>imap_unordered</c>).</summary>
    public async IAsyncEnumerable<TResult> ImapUnorderedAsync<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize = 1,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<Task<TResult[]>> chunks = SubmitChunks<T, TResult>(Target(func), items, chunkSize, cancellationToken);
        await foreach (Task<TResult[]> chunk in Task.WhenEach(chunks).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            foreach (TResult result in await chunk.ConfigureAwait(false))
            {
                yield return result;
            }
        }
    }

    /// <summary>Calls <paramref name="func"/> with each pair of arguments, results in order (Python's <c>starmap</c>).</summary>
    public List<TResult> Starmap<T1, T2, TResult>(Func<T1, T2, TResult> func, IEnumerable<(T1, T2)> items, int? chunkSize = null)
    {
        TargetInfo target = Target(func);
        (T1, T2)[] all = items.ToArray();
        return Gather(SubmitEncoded<TResult>(target, all.Length, chunkSize,
            (ref MessagePackWriter writer, int i) =>
            {
                writer.WriteArrayHeader(2);
                MessagePackSerializer.Serialize(ref writer, all[i].Item1, PlexusSerializer.Options);
                MessagePackSerializer.Serialize(ref writer, all[i].Item2, PlexusSerializer.Options);
            }, CancellationToken.None), all.Length).GetAwaiter().GetResult();
    }

    /// <summary>Calls any static <paramref name="func"/> with each argument list, results in order (Python's <c>starmap</c>).</summary>
    public List<object?> Starmap(Delegate func, IEnumerable<object?[]> items, int? chunkSize = null)
    {
        TargetInfo target = Target(func);
        object?[][] all = items.ToArray();
        return Gather(SubmitEncoded<object?>(target, all.Length, chunkSize,
            (ref MessagePackWriter writer, int i) => target.WriteArguments(ref writer, all[i], nameof(items)), CancellationToken.None), all.Length)
            .GetAwaiter().GetResult();
    }

    // ---- lifetime ----

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
        List<Worker> workers;
        List<Job> orphans = [];
        lock (_lock)
        {
            if (_terminated)
            {
                return;
            }
            _terminated = _closed = true;
            workers = [.. _workers];
            _workers.Clear();
            orphans.AddRange(_pending);
            _pending.Clear();
            foreach (Worker worker in workers)
            {
                orphans.AddRange(worker.InFlight);
                worker.InFlight.Clear();
            }
            Monitor.PulseAll(_lock);
        }
        foreach (Worker worker in workers)
        {
            worker.Kill();
            // Unblocks the reader even if the worker died before it took its pipe end (then no EOF would come).
            worker.Connection.Dispose();
        }
        foreach (Worker worker in workers)
        {
            // The reader thread reaps its worker (it owns the ChildProcess); waiting for it means no process is left.
            if (worker.Reader != Thread.CurrentThread)
            {
                worker.Reader.Join();
            }
        }
        var error = new ObjectDisposedException(nameof(ProcessPool), "the pool was terminated before this task finished");
        foreach (Job job in orphans)
        {
            job.Fail(error);
        }
    }

    /// <summary>
    /// Waits for every queued task to finish and the workers to exit (Python's <c>join</c>); call
    /// <see cref="Close"/> or <see cref="Terminate"/> first.
    /// </summary>
    public void Join()
    {
        List<Worker> workers;
        lock (_lock)
        {
            if (!_closed)
            {
                throw new InvalidOperationException("Join waits for the pool to finish, which needs Close() (or Terminate()) first; otherwise new tasks could keep it running forever");
            }
            while (!_terminated && (_pending.Count > 0 || _workers.Any(w => w.InFlight.Count > 0)))
            {
                Monitor.Wait(_lock);
            }
            workers = [.. _workers];
            foreach (Worker worker in workers)
            {
                worker.Stopping = true;
            }
        }
        foreach (Worker worker in workers)
        {
            worker.SendStop();
        }
        foreach (Worker worker in workers)
        {
            worker.Reader.Join();
        }
    }

    /// <summary>Terminates the pool (as Python's <c>with Pool() as p:</c> does on exit) and reaps every worker.</summary>
    public void Dispose() => Terminate();

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Terminate();
        return ValueTask.CompletedTask;
    }

    // ---- internals ----

    private Task<TResult> Single<TResult>(Delegate func, object?[] args, CancellationToken cancellationToken = default)
    {
        TargetInfo target = Target(func);
        byte[] payload = TargetInfo.EncodeBatch(1, (ref MessagePackWriter writer, int _) => target.WriteArguments(ref writer, args, nameof(args)));
        return First(Enqueue<TResult>(target, payload, cancellationToken));

        // An async method (not ContinueWith) so that a cancelled job gives a cancelled task, not a faulted one.
        static async Task<TResult> First(Task<TResult[]> job) => (await job.ConfigureAwait(false))[0];
    }

    // Caching by method is safe: a method that passed the checks once (static, or a lambda that
    // captures nothing) passes them for every delegate made from it.
    private TargetInfo Target(Delegate func)
    {
        ArgumentNullException.ThrowIfNull(func);
        return _targets.TryGetValue(func.Method, out TargetInfo? known) ? known : _targets.GetOrAdd(func.Method, TargetInfo.From(func));
    }

    private Task<List<TResult>> MapTask<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunkSize, CancellationToken cancellationToken)
    {
        T[] all = items as T[] ?? items.ToArray();
        return Gather(SubmitChunks<T, TResult>(Target(func), all, chunkSize ?? DefaultChunkSize(all.Length), cancellationToken), all.Length);
    }

    private int DefaultChunkSize(int count)
    {
        int chunk = Math.DivRem(count, Processes * 4, out int extra);
        return Math.Max(1, chunk + (extra > 0 ? 1 : 0));
    }

    private List<Task<TResult[]>> SubmitChunks<T, TResult>(TargetInfo target, IEnumerable<T> items, int chunkSize, CancellationToken cancellationToken)
    {
        T[] all = items as T[] ?? items.ToArray();
        if (target.Parameters.Length != 1)
        {
            throw new ArgumentException($"{target.Target.DisplayName} takes {target.Parameters.Length} arguments; map passes one");
        }
        return SubmitEncoded<TResult>(target, all.Length, chunkSize, (ref MessagePackWriter writer, int i) =>
        {
            writer.WriteArrayHeader(1);
            MessagePackSerializer.Serialize(ref writer, all[i], PlexusSerializer.Options);
        }, cancellationToken);
    }

    private List<Task<TResult[]>> SubmitEncoded<TResult>(TargetInfo target, int count, int? chunkSize, WriteCall write, CancellationToken cancellationToken)
    {
        int size = chunkSize ?? DefaultChunkSize(count);
        if (size < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSize), size, "chunkSize must be at least 1");
        }
        var chunks = new List<Task<TResult[]>>((count + size - 1) / size);
        for (int start = 0; start < count; start += size)
        {
            int first = start;
            int length = Math.Min(size, count - start);
            byte[] payload = TargetInfo.EncodeBatch(length, (ref MessagePackWriter writer, int i) => write(ref writer, first + i));
            chunks.Add(Enqueue<TResult>(target, payload, cancellationToken));
        }
        return chunks;
    }

    private static async Task<List<TResult>> Gather<TResult>(List<Task<TResult[]>> chunks, int count)
    {
        var results = new List<TResult>(count);
        foreach (Task<TResult[]> chunk in chunks)
        {
            results.AddRange(await chunk.ConfigureAwait(false));
        }
        return results;
    }

    private static AsyncResult<TResult> WithCallbacks<TResult>(Task<TResult> task, Action<TResult>? callback, Action<Exception>? errorCallback)
    {
        var result = new AsyncResult<TResult>();
        // The continuation runs on a thread-pool thread: callbacks never run on the caller's thread
        // or on a worker's reader thread (a slow callback must not stall result delivery).
        task.ContinueWith(t =>
        {
            try
            {
                if (t.IsCompletedSuccessfully)
                {
                    callback?.Invoke(t.Result);
                    result.TrySetResult(t.Result);
                    return;
                }
                Exception error = t.IsCanceled ? new TaskCanceledException(t) : t.Exception!.InnerException!;
                errorCallback?.Invoke(error);
                result.TrySetException(error);
            }
            catch (Exception e)
            {
                result.TrySetException(e);
            }
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return result;
    }

    private Task<TResult[]> Enqueue<TResult>(TargetInfo target, byte[] payload, CancellationToken cancellationToken)
    {
        var job = new Job<TResult>(Interlocked.Increment(ref _jobCounter), target, payload);
        lock (_lock)
        {
            if (_broken is { } broken)
            {
                throw new InvalidOperationException($"the pool is broken: {broken.Message}", broken);
            }
            ObjectDisposedException.ThrowIf(_terminated, this);
            if (_closed)
            {
                throw new InvalidOperationException("the pool is closed; no new tasks can be submitted (Python raises ValueError here)");
            }
            _pending.AddLast(job.Node);
        }
        if (cancellationToken.CanBeCanceled)
        {
            job.Registration = cancellationToken.UnsafeRegister(static (state, token) =>
            {
                var (pool, job) = ((ProcessPool, Job))state!;
                pool.Cancel(job, token);
            }, (this, (Job)job));
        }
        Pump();
        return job.Task;
    }

    private void Cancel(Job job, CancellationToken token)
    {
        lock (_lock)
        {
            if (job.Node.List is null)
            {
                return; // already sent to a worker (or finished): running work is not interrupted
            }
            _pending.Remove(job.Node);
        }
        job.Cancel(token);
        Monitor.Enter(_lock);
        Monitor.PulseAll(_lock);
        Monitor.Exit(_lock);
    }

    /// <summary>Hands queued jobs to workers with room, keeping each worker's pipe order equal to its in-flight order.</summary>
    private void Pump()
    {
        List<Worker>? touched = null;
        lock (_lock)
        {
            if (_terminated)
            {
                return;
            }
            // The least-loaded worker gets each job (ties rotate), so idle workers are used before any
            // worker gets a second job, and one-at-a-time work (apply) spreads over the pool as in Python.
            int first = (int)((uint)_nextWorker++ % (uint)Math.Max(1, _workers.Count));
            while (_pending.First is { } node)
            {
                Worker? worker = null;
                for (int k = 0; k < _workers.Count; k++)
                {
                    Worker candidate = _workers[(first + k) % _workers.Count];
                    if (candidate.HasRoom(_maxTasksPerChild) && (worker is null || candidate.InFlight.Count < worker.InFlight.Count))
                    {
                        worker = candidate;
                    }
                }
                if (worker is null)
                {
                    break;
                }
                _pending.RemoveFirst();
                Job job = node.Value;
                worker.InFlight.Enqueue(job);
                worker.Dispatched++;
                worker.Outbox.Enqueue(job);
                (touched ??= []).Add(worker);
            }
        }
        if (touched is null)
        {
            return;
        }
        foreach (Worker worker in touched.Distinct())
        {
            if (_onReaderThread && worker.OutboxBytes > LargePayload)
            {
                // A reader thread must not block on a full pipe: its own worker may be waiting for it to read.
                ThreadPool.UnsafeQueueUserWorkItem(static w => w.Flush(), worker, preferLocal: false);
            }
            else
            {
                worker.Flush();
            }
        }
    }

    private Worker StartWorker()
    {
        (Connection parentEnd, Connection childEnd) = ProcessPipe.Create();
        string name = $"ProcessPoolWorker-{_poolId}.{Interlocked.Increment(ref _workerCounter)}";
        ChildProcess child;
        try
        {
            child = ChildProcess.Create(PoolWorker.Run, childEnd, _setup);
            child.Name = name;
            child.IsDaemon = true;
            child.Start();
        }
        catch
        {
            parentEnd.Dispose();
            childEnd.Dispose();
            throw;
        }
        var worker = new Worker(this, child, parentEnd);
        worker.Reader.UnsafeStart();
        _ = WatchExit(worker);
        return worker;
    }

    /// <summary>
    /// A worker that dies before it took its pipe end leaves the reader without EOF; once the process
    /// is gone and answers it sent had time to be read, closing our end ends the reader.
    /// </summary>
    private static async Task WatchExit(Worker worker)
    {
        try
        {
            await worker.Child.JoinAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // Already reaped by the reader thread.
        }
        if (!worker.Reader.Join(0))
        {
            await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            worker.Connection.Dispose();
        }
    }

    private void ReadResults(Worker worker)
    {
        _onReaderThread = true;
        while (true)
        {
            PoolResponse response;
            try
            {
                response = worker.Connection.Receive<PoolResponse>();
            }
            catch (Exception e) when (e is EndOfStreamException or IOException or ObjectDisposedException or InvalidDataException
                or System.Net.Sockets.SocketException or MessagePackSerializationException)
            {
                WorkerEnded(worker);
                return;
            }
            Job? job;
            bool retire = false;
            lock (_lock)
            {
                job = worker.InFlight.TryPeek(out Job? head) && head.Id == response.Id ? worker.InFlight.Dequeue() : null;
                worker.Completed++;
                _barrenDeaths = 0;
                if (worker.InFlight.Count == 0 && _maxTasksPerChild is { } max && worker.Dispatched >= max && !worker.Stopping && !_terminated)
                {
                    retire = worker.Stopping = true;
                    _workers.Remove(worker);
                    _workers.Add(StartWorker());
                }
                Monitor.PulseAll(_lock);
            }
            if (job is not null)
            {
                if (response.ErrorType is { } type)
                {
                    job.Fail(new ChildProcessException(type, response.ErrorMessage ?? "", response.ErrorStack ?? "", worker.Pid, worker.Child.Name));
                }
                else
                {
                    job.Complete(response.Payload ?? []);
                }
            }
            if (retire)
            {
                worker.SendStop();
            }
            Pump();
        }
    }

    private void WorkerEnded(Worker worker)
    {
        worker.Child.Join();
        int? exitCode = worker.Child.ExitCode;
        worker.MarkReaped();
        Job? running = null;
        lock (_lock)
        {
            bool member = _workers.Remove(worker);
            if (worker.InFlight.Count > 0)
            {
                // Answers come in order, so the oldest unanswered task was running; the rest never started.
                running = worker.InFlight.Dequeue();
            }
            Job[] notStarted = [.. worker.InFlight];
            worker.InFlight.Clear();
            for (int i = notStarted.Length - 1; i >= 0; i--)
            {
                _pending.AddFirst(notStarted[i].Node);
            }
            if (member && !_terminated && !worker.Stopping)
            {
                if (worker.Completed == 0 && running is null && ++_barrenDeaths >= Processes * 3)
                {
                    _broken = new InvalidOperationException(
                        $"workers keep exiting before running any task (last: {worker.Child.Name}, exit code {exitCode}); " +
                        "check the pool's initializer, which runs at each worker's start");
                }
                else
                {
                    _workers.Add(StartWorker());
                }
            }
            Monitor.PulseAll(_lock);
        }
        worker.Connection.Dispose();
        if (!worker.Stopping || running is not null)
        {
            running?.Fail(new ProcessPoolWorkerDiedException(worker.Child.Name, worker.Pid, exitCode));
        }
        if (_broken is { } broken)
        {
            FailPending(broken);
        }
        worker.Child.Dispose();
        Pump();
    }

    private void FailPending(Exception error)
    {
        Job[] jobs;
        lock (_lock)
        {
            jobs = [.. _pending];
            _pending.Clear();
            Monitor.PulseAll(_lock);
        }
        foreach (Job job in jobs)
        {
            job.Fail(new InvalidOperationException($"the pool is broken: {error.Message}", error));
        }
    }

    private delegate void WriteCall(ref MessagePackWriter writer, int index);

    /// <summary>A target checked once in the parent, with the number workers know it by.</summary>
    private sealed class TargetInfo
    {
        private static int _ids;

        private TargetInfo(Target target, Type[] parameters, string[] names, Type returnType)
        {
            Target = target;
            Parameters = parameters;
            Names = names;
            ReturnType = returnType;
        }

        public int Id { get; } = Interlocked.Increment(ref _ids);
        public Target Target { get; }
        public Type[] Parameters { get; }
        public string[] Names { get; }
        public Type ReturnType { get; }

        public static TargetInfo From(Delegate func)
        {
            Target target = Plexus.Processes.Target.From(func, out ParameterInfo[] parameters);
            return new TargetInfo(target, parameters.Select(p => p.ParameterType).ToArray(), parameters.Select(p => p.Name ?? "?").ToArray(), func.Method.ReturnType);
        }

        public static byte[] EncodeBatch(int calls, WriteCall write)
        {
            var buffer = new ArrayBufferWriter<byte>();
            var writer = new MessagePackWriter(buffer);
            writer.WriteArrayHeader(calls);
            for (int i = 0; i < calls; i++)
            {
                write(ref writer, i);
            }
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }

        public byte[] EncodeCall(object?[] args, string argsName) => EncodeBatch(1, (ref MessagePackWriter w, int _) => WriteArguments(ref w, args, argsName))[1..];

        public void WriteArguments(ref MessagePackWriter writer, object?[] args, string argsName)
        {
            if (args.Length != Parameters.Length)
            {
                throw new ArgumentException($"{Target.DisplayName} takes {Parameters.Length} arguments but {args.Length} were given", argsName);
            }
            writer.WriteArrayHeader(args.Length);
            for (int i = 0; i < args.Length; i++)
            {
                object? value = args[i];
                if (value is not null && !Parameters[i].IsInstanceOfType(value))
                {
                    throw new ArgumentException($"argument '{Names[i]}' of {Target.DisplayName} is a {value.GetType()}, not a {Parameters[i]}", argsName);
                }
                try
                {
                    MessagePackSerializer.Serialize(Parameters[i], ref writer, value, PlexusSerializer.Options);
                }
                catch (MessagePackSerializationException e)
                {
                    string reason = (e.InnerException ?? e).Message;
                    throw new ArgumentException($"argument '{Names[i]}' of {Target.DisplayName} ({value?.GetType() ?? Parameters[i]}) cannot be sent to a pool worker: {reason}", argsName, e);
                }
            }
        }
    }

    /// <summary>One message to a worker: a batch of calls, and the promise of their results.</summary>
    private abstract class Job(long id, TargetInfo target, byte[] payload)
    {
        public long Id { get; } = id;
        public TargetInfo Target { get; } = target;
        public byte[] Payload { get; } = payload;
        public LinkedListNode<Job> Node => _node ??= new LinkedListNode<Job>(this);
        public CancellationTokenRegistration Registration { get; set; }
        private LinkedListNode<Job>? _node;

        public abstract void Complete(byte[] payload);
        public abstract void Fail(Exception error);
        public abstract void Cancel(CancellationToken token);
    }

    private sealed class Job<TResult>(long id, TargetInfo target, byte[] payload) : Job(id, target, payload)
    {
        private readonly TaskCompletionSource<TResult[]> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<TResult[]> Task => _completion.Task;

        public override void Complete(byte[] payload)
        {
            Registration.Dispose();
            TResult[] results;
            try
            {
                var reader = new MessagePackReader(payload);
                results = new TResult[reader.ReadArrayHeader()];
                bool byType = typeof(TResult) == typeof(object) && Target.ReturnType != typeof(object);
                for (int i = 0; i < results.Length; i++)
                {
                    results[i] = byType
                        ? reader.TryReadNil() ? default! : (TResult)MessagePackSerializer.Deserialize(Target.ReturnType, ref reader, PlexusSerializer.Options)!
                        : MessagePackSerializer.Deserialize<TResult>(ref reader, PlexusSerializer.Options);
                }
            }
            catch (MessagePackSerializationException e)
            {
                _completion.TrySetException(new InvalidDataException($"the result of {Target.Target.DisplayName} could not be read as {typeof(TResult)}: {(e.InnerException ?? e).Message}", e));
                return;
            }
            _completion.TrySetResult(results);
        }

        public override void Fail(Exception error)
        {
            Registration.Dispose();
            _completion.TrySetException(error);
        }

        public override void Cancel(CancellationToken token) => _completion.TrySetCanceled(token);
    }

    /// <summary>A worker process, its pipe, and the jobs it holds (in the order it will answer them).</summary>
    private sealed class Worker
    {
        private readonly object _sendLock = new();
        private readonly Dictionary<int, bool> _registered = [];
        private bool _reaped;

        public Worker(ProcessPool pool, ChildProcess child, Connection connection)
        {
            Child = child;
            Connection = connection;
            Pid = child.Pid ?? 0;
            Reader = new Thread(() => pool.ReadResults(this)) { IsBackground = true, Name = $"plexus-pool-{child.Name}" };
        }

        public ChildProcess Child { get; }
        public Connection Connection { get; }
        public int Pid { get; }
        public Thread Reader { get; }
        public Queue<Job> InFlight { get; } = new();
        public ConcurrentQueue<Job> Outbox { get; } = new();
        public int Dispatched { get; set; }
        public int Completed { get; set; }
        public bool Stopping { get; set; }

        public long OutboxBytes => Outbox.Sum(j => (long)j.Payload.Length);

        public bool HasRoom(int? maxTasks) => !Stopping && InFlight.Count < MaxInFlight && (maxTasks is null || Dispatched < maxTasks);

        public void Flush()
        {
            lock (_sendLock)
            {
                var request = new PoolRequest();
                while (Outbox.TryDequeue(out Job? job))
                {
                    request.Id = job.Id;
                    request.TargetId = job.Target.Id;
                    request.Payload = job.Payload;
                    if (_registered.TryAdd(job.Target.Id, true))
                    {
                        request.AssemblyName = job.Target.Target.AssemblyName;
                        request.ModuleVersionId = job.Target.Target.ModuleVersionId;
                        request.MetadataToken = job.Target.Target.MetadataToken;
                        request.DisplayName = job.Target.Target.DisplayName;
                    }
                    else
                    {
                        request.AssemblyName = request.DisplayName = null;
                    }
                    try
                    {
                        Connection.Send(request);
                    }
                    catch (Exception e) when (e is IOException or ObjectDisposedException)
                    {
                        return; // the worker is gone; its reader thread sees the end and reassigns its jobs
                    }
                }
            }
        }

        public void Kill()
        {
            lock (_sendLock)
            {
                if (!_reaped)
                {
                    // Until the reader thread has waited for it, the pid still names this worker (alive or a zombie).
                    Plexus.Native.ProcessIds.Signal(Pid, Plexus.Native.ProcessIds.SigKill);
                }
            }
        }

        public void MarkReaped()
        {
            lock (_sendLock)
            {
                _reaped = true;
            }
        }

        public void SendStop()
        {
            lock (_sendLock)
            {
                try
                {
                    Connection.Send(new PoolRequest { Id = -1 });
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                }
            }
        }
    }
}
