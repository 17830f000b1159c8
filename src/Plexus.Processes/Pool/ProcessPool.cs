using System.Buffers;
using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MessagePack;
using MessagePack.Formatters;
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
/// stack. Callbacks run in this process on a thread-pool thread, never on the caller's thread.
/// </remarks>
public sealed class ProcessPool : IDisposable, IAsyncDisposable
{
    // A worker holds a few tasks at a time so it never waits for work; one that keeps answering
    // quickly (tiny tasks) holds more, so the pipe carries several per write and it never idles.
    private const int MaxInFlight = 3;
    private const int MaxInFlightQuick = 32;
    private const int QuickStreak = 16;
    private static readonly long QuickTicks = System.Diagnostics.Stopwatch.Frequency / 5000; // 200 µs
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
        if (initializer is not null)
        {
            TargetInfo init = TargetInfo.From(initializer);
            _setup = PoolWire.EncodeSetup(init.Target, init.EncodeCall(initArgs ?? [], nameof(initArgs)));
        }
        else if (initArgs is { Length: > 0 })
        {
            throw new ArgumentException("initArgs were given without an initializer", nameof(initArgs));
        }
        else
        {
            _setup = PoolWire.EncodeSetup(null, []);
        }
        Processes = count;
        // The workers start side by side (a start spends most of its time outside this process), on
        // threads of their own: a busy thread pool must not hold up a pool's start.
        var others = new Task<Worker>[count - 1];
        for (int i = 0; i < others.Length; i++)
        {
            var started = new TaskCompletionSource<Worker>(TaskCreationOptions.RunContinuationsAsynchronously);
            others[i] = started.Task;
            new Thread(() =>
            {
                try
                {
                    started.SetResult(StartWorker());
                }
                catch (Exception e)
                {
                    started.SetException(e);
                }
            }) { IsBackground = true, Name = "plexus-pool-start" }.UnsafeStart();
        }
        Exception? failure = null;
        lock (_lock)
        {
            try
            {
                _workers.Add(StartWorker());
            }
            catch (Exception e)
            {
                failure = e;
            }
            foreach (Task<Worker> other in others)
            {
                try
                {
                    _workers.Add(other.GetAwaiter().GetResult());
                }
                catch (Exception e)
                {
                    failure ??= e;
                }
            }
        }
        if (failure is not null)
        {
            Terminate();
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
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
    public TResult Apply<TResult>(Func<TResult> func) => Wait(Submit(SingleNone<TResult>(func, null, null), default, inline: true));

    /// <summary>Runs <paramref name="func"/>(<paramref name="arg1"/>) in a worker and waits for its result (Python's <c>apply</c>).</summary>
    public TResult Apply<T1, TResult>(Func<T1, TResult> func, T1 arg1) => Wait(Submit(SingleOne<T1, TResult>(func, arg1, null, null), default, inline: true));

    /// <summary>Runs <paramref name="func"/> with two arguments in a worker and waits for its result (Python's <c>apply</c>).</summary>
    public TResult Apply<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2) => Wait(Submit(SingleArgs<TResult>(func, [arg1, arg2], null, null), default, inline: true));

    /// <summary>Runs <paramref name="action"/>(<paramref name="arg1"/>) in a worker and waits for it to finish (Python's <c>apply</c>).</summary>
    public void Apply<T1>(Action<T1> action, T1 arg1) => Wait(Submit(SingleArgs<object?>(action, [arg1], null, null), default, inline: true));

    /// <summary>Runs any static <paramref name="func"/> with <paramref name="args"/> in a worker and waits (Python's <c>apply(func, args)</c>).</summary>
    public object? Apply(Delegate func, params object?[] args) => Wait(Submit(SingleArgs<object?>(func, args ?? [null], null, null), default, inline: true));

    // ---- apply_async (Python's apply_async with callback and error_callback) ----

    /// <summary>Queues <paramref name="func"/> (Python's <c>apply_async</c>).</summary>
    /// <param name="func">The task.</param>
    /// <param name="callback">Runs in this process, on a thread-pool thread, with the result, before the result is ready.</param>
    /// <param name="errorCallback">Runs in this process, on a thread-pool thread, with the exception when the task fails.</param>
    public AsyncResult<TResult> ApplyAsync<TResult>(Func<TResult> func, Action<TResult>? callback = null, Action<Exception>? errorCallback = null)
        => Submit(SingleNone(func, callback, errorCallback), default).Result;

    /// <summary>Queues <paramref name="func"/>(<paramref name="arg1"/>) (Python's <c>apply_async</c>); see <see cref="ApplyAsync{TResult}(Func{TResult}, Action{TResult}?, Action{Exception}?)"/>.</summary>
    public AsyncResult<TResult> ApplyAsync<T1, TResult>(Func<T1, TResult> func, T1 arg1, Action<TResult>? callback = null, Action<Exception>? errorCallback = null)
        => Submit(SingleOne(func, arg1, callback, errorCallback), default).Result;

    /// <summary>Queues <paramref name="func"/> with two arguments (Python's <c>apply_async</c>).</summary>
    public AsyncResult<TResult> ApplyAsync<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2, Action<TResult>? callback = null, Action<Exception>? errorCallback = null)
        => Submit(SingleArgs(func, [arg1, arg2], callback, errorCallback), default).Result;

    /// <summary>Queues any static <paramref name="func"/> with <paramref name="args"/> (Python's <c>apply_async(func, args, callback=, error_callback=)</c>).</summary>
    public AsyncResult<object?> ApplyAsync(Delegate func, object?[] args, Action<object?>? callback = null, Action<Exception>? errorCallback = null)
        => Submit(SingleArgs(func, args, callback, errorCallback), default).Result;

    // ---- .NET-native submit ----

    /// <summary>Runs <paramref name="func"/> in a worker; cancelling <paramref name="cancellationToken"/> removes it if it has not been sent to a worker yet.</summary>
    public Task<TResult> SubmitAsync<TResult>(Func<TResult> func, CancellationToken cancellationToken = default)
        => Submit(SingleNone<TResult>(func, null, null), cancellationToken).Result.Task;

    /// <summary>Runs <paramref name="func"/>(<paramref name="arg1"/>) in a worker; the token cancels it while it is still queued.</summary>
    public Task<TResult> SubmitAsync<T1, TResult>(Func<T1, TResult> func, T1 arg1, CancellationToken cancellationToken = default)
        => Submit(SingleOne<T1, TResult>(func, arg1, null, null), cancellationToken).Result.Task;

    /// <summary>Runs <paramref name="func"/> with two arguments in a worker; the token cancels it while it is still queued.</summary>
    public Task<TResult> SubmitAsync<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2, CancellationToken cancellationToken = default)
        => Submit(SingleArgs<TResult>(func, [arg1, arg2], null, null), cancellationToken).Result.Task;

    // ---- map family ----

    /// <summary>Applies <paramref name="func"/> to every item and returns the results in order (Python's <c>map</c>).</summary>
    /// <param name="func">The task.</param>
    /// <param name="items">The inputs.</param>
    /// <param name="chunkSize">Items per message to a worker; default as Python: about a quarter of an even share per worker.</param>
    /// <exception cref="ChildProcessException">A task threw (the first error fails the whole map, as in Python).</exception>
    public List<TResult> Map<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunkSize = null)
    {
        T[] all = items as T[] ?? items.ToArray();
        // The chunks' results land straight in the list; the calling thread waits (each chunk's
        // completion wakes it directly, no thread-pool hop).
        var results = new List<TResult>(all.Length);
        CollectionsMarshal.SetCount(results, all.Length);
        foreach (Task<TResult[]> chunk in SubmitChunks(Target(func), all, chunkSize ?? DefaultChunkSize(all.Length), CancellationToken.None, results))
        {
            chunk.GetAwaiter().GetResult();
        }
        return results;
    }

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
                WakeReader(worker);
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
                WakeReader(worker);
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private SingleJob<TResult> SingleNone<TResult>(Delegate func, Action<TResult>? callback, Action<Exception>? errorCallback)
    {
        TargetInfo target = Target(func);
        return new SingleJob<TResult>(NextId(), target, target.EncodeNone(), callback, errorCallback);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private SingleJob<TResult> SingleOne<T1, TResult>(Delegate func, T1 arg1, Action<TResult>? callback, Action<Exception>? errorCallback)
    {
        TargetInfo target = Target(func);
        return new SingleJob<TResult>(NextId(), target, target.EncodeOne(arg1), callback, errorCallback);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private SingleJob<TResult> SingleArgs<TResult>(Delegate func, object?[] args, Action<TResult>? callback, Action<Exception>? errorCallback)
    {
        TargetInfo target = Target(func);
        return new SingleJob<TResult>(NextId(), target, target.EncodeArgs(args, nameof(args)), callback, errorCallback);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private long NextId() => Interlocked.Increment(ref _jobCounter);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static TResult Wait<TResult>(SingleJob<TResult> job) => job.Result.Get();

    // Caching by method is safe: a method that passed the checks once (static, or a lambda that
    // captures nothing) passes them for every delegate made from it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private List<Task<TResult[]>> SubmitChunks<T, TResult>(TargetInfo target, IEnumerable<T> items, int chunkSize, CancellationToken cancellationToken,
        List<TResult>? into = null)
    {
        T[] all = items as T[] ?? items.ToArray();
        if (target.Parameters.Length != 1)
        {
            throw new ArgumentException($"{target.Target.DisplayName} takes {target.Parameters.Length} arguments; map passes one");
        }
        if (target.Parameters[0] != typeof(T) || target.ReturnType != typeof(TResult))
        {
            return SubmitEncoded<TResult>(target, all.Length, chunkSize, (ref MessagePackWriter writer, int i) =>
            {
                writer.WriteArrayHeader(1);
                MessagePackSerializer.Serialize(ref writer, all[i], PlexusSerializer.Options);
            }, cancellationToken, into);
        }
        // The whole chunk as one typed array: raw memory for primitives, else one formatter call per item.
        if (chunkSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, "chunkSize must be at least 1");
        }
        bool raw = PoolWire.IsRaw(typeof(T));
        var chunks = new List<Task<TResult[]>>((all.Length + chunkSize - 1) / chunkSize);
        var jobs = new List<Job>(chunks.Capacity);
        for (int start = 0; start < all.Length; start += chunkSize)
        {
            ReadOnlySpan<T> chunk = all.AsSpan(start, Math.Min(chunkSize, all.Length - start));
            byte[] payload = raw ? PoolWire.WriteRaw(chunk) : EncodeItems(chunk);
            var job = new ChunkJob<TResult>(NextId(), target, payload, raw ? PoolWire.RawItems : PoolWire.Items, into, start, chunk.Length);
            jobs.Add(job);
            chunks.Add(job.Task);
        }
        Enqueue(jobs, cancellationToken);
        return chunks;

        static byte[] EncodeItems(ReadOnlySpan<T> chunk)
        {
            ArrayBufferWriter<byte> buffer = Scratch();
            var writer = new MessagePackWriter(buffer);
            writer.WriteArrayHeader(chunk.Length);
            IMessagePackFormatter<T> formatter = PlexusSerializer.Options.Resolver.GetFormatterWithVerify<T>();
            foreach (T item in chunk)
            {
                try
                {
                    formatter.Serialize(ref writer, item, PlexusSerializer.Options);
                }
                catch (Exception e) when (e is not MessagePackSerializationException)
                {
                    throw new MessagePackSerializationException($"Failed to serialize {typeof(T)} value.", e);
                }
            }
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
    }

    private List<Task<TResult[]>> SubmitEncoded<TResult>(TargetInfo target, int count, int? chunkSize, WriteCall write, CancellationToken cancellationToken,
        List<TResult>? into = null)
    {
        int size = chunkSize ?? DefaultChunkSize(count);
        if (size < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSize), size, "chunkSize must be at least 1");
        }
        var chunks = new List<Task<TResult[]>>((count + size - 1) / size);
        var jobs = new List<Job>(chunks.Capacity);
        for (int start = 0; start < count; start += size)
        {
            int first = start;
            int length = Math.Min(size, count - start);
            byte[] payload = TargetInfo.EncodeBatch(length, (ref MessagePackWriter writer, int i) => write(ref writer, first + i));
            var job = new ChunkJob<TResult>(NextId(), target, payload, PoolWire.Calls, into, first, length);
            jobs.Add(job);
            chunks.Add(job.Task);
        }
        Enqueue(jobs, cancellationToken);
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

    [ThreadStatic] private static ArrayBufferWriter<byte>? _scratch;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ArrayBufferWriter<byte> Scratch()
    {
        ArrayBufferWriter<byte> buffer = _scratch ??= new ArrayBufferWriter<byte>(256);
        if (buffer.Capacity > 1 << 20)
        {
            buffer = _scratch = new ArrayBufferWriter<byte>(256);
        }
        buffer.ResetWrittenCount();
        return buffer;
    }

    /// <summary>
    /// Queues one task. With <paramref name="inline"/> (a blocking apply) the calling thread, when its
    /// task went straight to an idle worker, reads that worker's answers itself: no thread hop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private SingleJob<TResult> Submit<TResult>(SingleJob<TResult> job, CancellationToken cancellationToken, bool inline = false)
    {
        Worker? reader = Enqueue([job], cancellationToken, inline ? job : null);
        if (reader is not null)
        {
            ReadInline(reader, job);
        }
        return job;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Worker? Enqueue(IReadOnlyList<Job> jobs, CancellationToken cancellationToken, Job? inline = null)
    {
        if (jobs.Count == 0)
        {
            return null;
        }
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
            foreach (Job job in jobs)
            {
                _pending.AddLast(job.Node);
            }
        }
        if (cancellationToken.CanBeCanceled)
        {
            foreach (Job job in jobs)
            {
                job.Registration = cancellationToken.UnsafeRegister(static (state, token) =>
                {
                    var (pool, job) = ((ProcessPool, Job))state!;
                    pool.Cancel(job, token);
                }, (this, job));
            }
        }
        return Pump(inline);
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

    /// <summary>
    /// Hands queued jobs to ready workers with room, keeping each worker's pipe order equal to its
    /// in-flight order, and sends them (several jobs for one worker leave in one frame).
    /// </summary>
    /// <returns>The worker whose answers the caller is to read itself (see <see cref="Submit"/>), or <c>null</c>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Worker? Pump(Job? inline = null)
    {
        Worker? single = null;
        List<Worker>? touched = null;
        Worker? reader = null;
        lock (_lock)
        {
            if (_terminated || _pending.First is null)
            {
                return null;
            }
            // The least-loaded worker gets each job, so idle workers are used before any worker gets a
            // second job. Ties go to the same worker each time: one-at-a-time work (apply) keeps one warm
            // worker busy instead of waking each in turn (on a small machine that is much faster).
            while (_pending.First is { } node)
            {
                Worker? worker = null;
                foreach (Worker candidate in _workers)
                {
                    // Among equally loaded workers, one that is up already goes first (a pool's first task
                    // need not wait for the slowest runtime to start).
                    if (candidate.HasRoom(_maxTasksPerChild) && (worker is null || candidate.InFlight.Count < worker.InFlight.Count
                        || (candidate.InFlight.Count == worker.InFlight.Count && candidate.Ready && !worker.Ready)))
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
                job.SentAt = System.Diagnostics.Stopwatch.GetTimestamp();
                // A worker that still owes several answers needs no write now: its reader sends what
                // queued up when the next answer comes, many jobs to a write.
                bool now = worker.InFlight.Count < MaxInFlight;
                worker.InFlight.Enqueue(job);
                worker.InFlightBytes += job.Payload.Length;
                worker.Dispatched++;
                worker.Enqueue(job, now);
                if (single is null || single == worker)
                {
                    single = worker;
                }
                else if (touched is null)
                {
                    touched = [single, worker];
                }
                else if (!touched.Contains(worker))
                {
                    touched.Add(worker);
                }
                if (job == inline && !worker.ReaderActive && !worker.InlineReading && worker.OutboxBytes <= LargePayload)
                {
                    worker.InlineReading = true;
                    reader = worker;
                }
            }
            if (single is null)
            {
                return null;
            }
            foreach (Worker worker in touched ?? [single])
            {
                WakeReader(worker);
            }
        }
        List<Worker> flush = touched ?? [single];
        for (int i = 0; i < flush.Count; i++)
        {
            Worker worker = flush[i];
            if (!_onReaderThread && !worker.TakeFlushNow())
            {
                continue;
            }
            // A reader must not block on a full pipe: its own worker may be waiting for it to read. And
            // one worker's big chunks must not hold back the next worker's: all but the last go in parallel.
            if (worker.OutboxBytes > LargePayload && (_onReaderThread || i < flush.Count - 1))
            {
                ThreadPool.UnsafeQueueUserWorkItem(static w => w.Flush(), worker, preferLocal: false);
            }
            else
            {
                worker.Flush();
            }
        }
        return reader;
    }

    /// <summary>Sends a worker's queued jobs from a thread that reads answers (big ones from a pool thread: see <see cref="Pump"/>).</summary>
    private static void FlushFromReader(Worker worker)
    {
        if (worker.OutboxBytes > LargePayload)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static w => w.Flush(), worker, preferLocal: false);
        }
        else
        {
            worker.Flush();
        }
    }

    /// <summary>Makes a parked reader thread read again if its worker needs reading (call under the lock).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WakeReader(Worker worker)
    {
        if (!worker.ReaderActive && !worker.InlineReading && worker.NeedsReading(_terminated))
        {
            worker.ReaderActive = true;
            worker.Wake.Release();
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
    /// An idle worker's reader thread is parked, so the exit of its process wakes it to see the
    /// end; a worker that dies before it took its pipe end leaves the reader without EOF, so once
    /// the process is gone and answers it sent had time to be read, closing our end ends the reader.
    /// </summary>
    private async Task WatchExit(Worker worker)
    {
        try
        {
            await worker.Child.JoinAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // Already reaped by the reader thread.
        }
        lock (_lock)
        {
            worker.Exited = true;
            WakeReader(worker);
        }
        if (!worker.Reader.Join(0))
        {
            await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            worker.Connection.Dispose();
        }
    }

    /// <summary>A worker's reader thread: reads while the worker owes answers, parks while it is idle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadResults(Worker worker)
    {
        _onReaderThread = true;
        int deferred = 0;
        while (true)
        {
            bool read;
            lock (_lock)
            {
                read = !worker.InlineReading && worker.NeedsReading(_terminated);
                worker.ReaderActive = read;
            }
            if (!read)
            {
                worker.Wake.Wait();
                continue;
            }
            PoolResponse response;
            try
            {
                response = worker.Connection.Receive(PoolResponseFormatter.Instance);
            }
            catch (Exception e) when (IsEnd(e))
            {
                WorkerEnded(worker);
                return;
            }
            // While more answers are already here, new jobs wait for them (up to a bound), so that
            // they leave together in one frame.
            bool more = ++deferred < QuickStreak && _pending.Count > 0 && MoreToRead(worker);
            OnResponse(worker, response, pump: !more);
            if (!more)
            {
                deferred = 0;
            }
        }
    }

    private static bool MoreToRead(Worker worker)
    {
        try
        {
            return worker.Connection.Poll(TimeSpan.Zero);
        }
        catch (Exception e) when (IsEnd(e))
        {
            return false; // the next receive sees the end
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool IsEnd(Exception e) => e is EndOfStreamException or IOException or ObjectDisposedException or InvalidDataException
        or System.Net.Sockets.SocketException or MessagePackSerializationException;

    /// <summary>The calling thread reads its worker's answers until its own job is done, then hands reading back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadInline(Worker worker, Job job)
    {
        bool wasReader = _onReaderThread;
        _onReaderThread = true;
        try
        {
            while (!job.IsDone)
            {
                PoolResponse response;
                try
                {
                    response = worker.Connection.Receive(PoolResponseFormatter.Instance);
                }
                catch (Exception e) when (IsEnd(e))
                {
                    // The reader thread sees the end again, and reassigns or fails the worker's jobs.
                    lock (_lock)
                    {
                        worker.Exited = true;
                    }
                    break;
                }
                OnResponse(worker, response);
            }
        }
        finally
        {
            _onReaderThread = wasReader;
            lock (_lock)
            {
                worker.InlineReading = false;
                WakeReader(worker);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OnResponse(Worker worker, PoolResponse response, bool pump = true)
    {
        if (response.Status == PoolWire.Ready)
        {
            lock (_lock)
            {
                worker.Ready = true;
            }
            Pump();
            return;
        }
        Job? job;
        bool retire = false;
        lock (_lock)
        {
            job = worker.InFlight.TryPeek(out Job? head) && head.Id == response.Id ? worker.InFlight.Dequeue() : null;
            worker.InFlightBytes -= job?.Payload.Length ?? 0;
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            worker.Quick = now - Math.Max(worker.LastAnswer, job?.SentAt ?? now) < QuickTicks ? Math.Min(worker.Quick + 1, QuickStreak) : 0;
            worker.LastAnswer = now;
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
        if (retire)
        {
            worker.SendStop();
        }
        // The next job leaves before this one's results are read: the worker is not kept waiting.
        if (pump)
        {
            Pump();
            if (worker.OutboxBytes > 0)
            {
                FlushFromReader(worker);
            }
        }
        if (job is not null)
        {
            if (response.Status == PoolWire.Error)
            {
                job.Fail(new ChildProcessException(response.ErrorType ?? "", response.ErrorMessage ?? "", response.ErrorStack ?? "", worker.Pid, worker.Child.Name));
            }
            else
            {
                job.Complete(response.Payload, response.Status == PoolWire.RawResults);
            }
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
            worker.Ready = false;
            if (worker.InFlight.Count > 0)
            {
                // Answers come in order, so the oldest unanswered task was running; the rest never started.
                running = worker.InFlight.Dequeue();
            }
            Job[] notStarted = [.. worker.InFlight];
            worker.InFlight.Clear();
            worker.InFlightBytes = 0;
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
            ArrayBufferWriter<byte> buffer = Scratch();
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

        /// <summary>One call without arguments: <c>[[]]</c>.</summary>
        public byte[] EncodeNone() => EncodeArgs([], "args");

        /// <summary>One call with any arguments, each checked against and serialized by its parameter type.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public byte[] EncodeArgs(object?[] args, string argsName)
        {
            ArrayBufferWriter<byte> buffer = Scratch();
            var writer = new MessagePackWriter(buffer);
            writer.WriteArrayHeader(1);
            WriteArguments(ref writer, args, argsName);
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }

        /// <summary>One call with one argument: typed (no boxing) when the argument's type is the parameter's.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public byte[] EncodeOne<T1>(T1 arg)
        {
            if (Parameters.Length != 1 || Parameters[0] != typeof(T1))
            {
                return EncodeArgs([arg], nameof(arg));
            }
            ArrayBufferWriter<byte> buffer = Scratch();
            var writer = new MessagePackWriter(buffer);
            writer.WriteArrayHeader(1);
            writer.WriteArrayHeader(1);
            try
            {
                try
                {
                    PlexusSerializer.Options.Resolver.GetFormatterWithVerify<T1>().Serialize(ref writer, arg, PlexusSerializer.Options);
                }
                catch (Exception e) when (e is not MessagePackSerializationException)
                {
                    throw new MessagePackSerializationException($"Failed to serialize {typeof(T1)} value.", e);
                }
            }
            catch (MessagePackSerializationException e)
            {
                string reason = (e.InnerException ?? e).Message;
                throw new ArgumentException($"argument '{Names[0]}' of {Target.DisplayName} ({arg?.GetType() ?? Parameters[0]}) cannot be sent to a pool worker: {reason}", nameof(arg), e);
            }
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }

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

        /// <summary>Reads a response's results as <typeparamref name="TResult"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public TResult[] ReadResults<TResult>(ReadOnlyMemory<byte> payload, bool raw)
        {
            int count;
            try
            {
                count = raw ? payload.Length / Unsafe.SizeOf<TResult>() : new MessagePackReader(payload).ReadArrayHeader();
            }
            catch (MessagePackSerializationException e)
            {
                throw new InvalidDataException($"the result of {Target.DisplayName} could not be read: {(e.InnerException ?? e).Message}", e);
            }
            var results = new TResult[count];
            ReadResults(payload, raw, results.AsSpan());
            return results;
        }

        /// <summary>Reads a response's results into <paramref name="destination"/>, which they must fill exactly.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void ReadResults<TResult>(ReadOnlyMemory<byte> payload, bool raw, Span<TResult> destination)
        {
            try
            {
                if (raw)
                {
                    if (typeof(TResult) != ReturnType || !PoolWire.IsRaw(typeof(TResult)) || RuntimeHelpers.IsReferenceOrContainsReferences<TResult>()
                        || payload.Length != destination.Length * Unsafe.SizeOf<TResult>())
                    {
                        throw new InvalidDataException($"the worker sent {payload.Length} bytes of raw {ReturnType} results for {destination.Length} items");
                    }
                    if (payload.Length > 0)
                    {
                        Unsafe.CopyBlockUnaligned(ref Unsafe.As<TResult, byte>(ref MemoryMarshal.GetReference(destination)),
                            ref MemoryMarshal.GetReference(payload.Span), (uint)payload.Length);
                    }
                    return;
                }
                var reader = new MessagePackReader(payload);
                int count = reader.ReadArrayHeader();
                if (count != destination.Length)
                {
                    throw new InvalidDataException($"the worker sent {count} results of {Target.DisplayName} for {destination.Length} items");
                }
                if (typeof(TResult) == typeof(object) && ReturnType != typeof(object))
                {
                    for (int i = 0; i < destination.Length; i++)
                    {
                        destination[i] = reader.TryReadNil() ? default! : (TResult)MessagePackSerializer.Deserialize(ReturnType, ref reader, PlexusSerializer.Options)!;
                    }
                }
                else
                {
                    IMessagePackFormatter<TResult> formatter = PlexusSerializer.Options.Resolver.GetFormatterWithVerify<TResult>();
                    try
                    {
                        for (int i = 0; i < destination.Length; i++)
                        {
                            destination[i] = formatter.Deserialize(ref reader, PlexusSerializer.Options);
                        }
                    }
                    catch (Exception e) when (e is not MessagePackSerializationException)
                    {
                        throw new MessagePackSerializationException($"Failed to deserialize {typeof(TResult)} value.", e);
                    }
                }
            }
            catch (MessagePackSerializationException e)
            {
                throw new InvalidDataException($"the result of {Target.DisplayName} could not be read as {typeof(TResult)}: {(e.InnerException ?? e).Message}", e);
            }
        }
    }

    /// <summary>One message to a worker: a batch of calls or items, and the promise of their results.</summary>
    private abstract class Job(long id, TargetInfo target, byte[] payload, byte kind)
    {
        public long Id { get; } = id;
        public TargetInfo Target { get; } = target;
        public byte[] Payload { get; } = payload;
        public byte Kind { get; } = kind;
        public LinkedListNode<Job> Node => _node ??= new LinkedListNode<Job>(this);
        public CancellationTokenRegistration Registration { get; set; }
        public long SentAt { get; set; }
        private LinkedListNode<Job>? _node;

        public abstract bool IsDone { get; }

        /// <summary>Reads the results; <paramref name="payload"/> is valid only during the call.</summary>
        public abstract void Complete(ReadOnlyMemory<byte> payload, bool raw);
        public abstract void Fail(Exception error);
        public abstract void Cancel(CancellationToken token);
    }

    /// <summary>A map chunk (or a starmap batch): its results as an array.</summary>
    private sealed class ChunkJob<TResult>(long id, TargetInfo target, byte[] payload, byte kind, List<TResult>? into, int offset, int length)
        : Job(id, target, payload, kind)
    {
        private readonly TaskCompletionSource<TResult[]> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<TResult[]> Task => _completion.Task;

        public override bool IsDone => _completion.Task.IsCompleted;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Complete(ReadOnlyMemory<byte> payload, bool raw)
        {
            Registration.Dispose();
            TResult[] results;
            try
            {
                if (into is not null)
                {
                    // Straight into the map's list (sized up front; chunks fill disjoint slices).
                    Target.ReadResults(payload, raw, CollectionsMarshal.AsSpan(into).Slice(offset, length));
                    results = [];
                }
                else
                {
                    results = Target.ReadResults<TResult>(payload, raw);
                }
            }
            catch (Exception e)
            {
                _completion.TrySetException(e);
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

    /// <summary>One call (apply, apply_async, submit): its result, and the callbacks that run before it is ready.</summary>
    private sealed class SingleJob<TResult>(long id, TargetInfo target, byte[] payload, Action<TResult>? callback, Action<Exception>? errorCallback)
        : Job(id, target, payload, PoolWire.Calls)
    {
        private readonly Action<TResult>? _callback = callback;
        private readonly Action<Exception>? _errorCallback = errorCallback;

        public AsyncResult<TResult> Result { get; } = new();

        public override bool IsDone => Result.Ready;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Complete(ReadOnlyMemory<byte> payload, bool raw)
        {
            Registration.Dispose();
            TResult[] results;
            try
            {
                results = Target.ReadResults<TResult>(payload, raw);
                if (results.Length != 1)
                {
                    throw new InvalidDataException($"the worker sent {results.Length} results for one call of {Target.Target.DisplayName}");
                }
            }
            catch (Exception e)
            {
                Fail(e);
                return;
            }
            if (_callback is null)
            {
                Result.TrySetResult(results[0]);
                return;
            }
            // Callbacks run on a thread-pool thread: never on the caller's thread or a reader (a slow
            // callback must not stall result delivery).
            ThreadPool.UnsafeQueueUserWorkItem(static state =>
            {
                var (job, value) = state;
                try
                {
                    job._callback!(value);
                    job.Result.TrySetResult(value);
                }
                catch (Exception e)
                {
                    job.Result.TrySetException(e);
                }
            }, (this, results[0]), preferLocal: false);
        }

        public override void Fail(Exception error)
        {
            Registration.Dispose();
            if (_errorCallback is null)
            {
                Result.TrySetException(error);
                return;
            }
            ThreadPool.UnsafeQueueUserWorkItem(static state =>
            {
                var (job, error) = state;
                try
                {
                    job._errorCallback!(error);
                    job.Result.TrySetException(error);
                }
                catch (Exception e)
                {
                    job.Result.TrySetException(e);
                }
            }, (this, error), preferLocal: false);
        }

        public override void Cancel(CancellationToken token)
        {
            if (_errorCallback is null)
            {
                Result.TrySetCanceled(token);
                return;
            }
            Fail(new TaskCanceledException("the task was cancelled before it was sent to a worker", null, token));
        }
    }

    /// <summary>A worker process, its pipe, and the jobs it holds (in the order it will answer them).</summary>
    private sealed class Worker
    {
        // Small jobs share a frame; a big one (a map chunk) goes alone, so the worker starts on it
        // while the next is still on its way.
        private const int BatchBytes = 64 * 1024;
        private readonly object _sendLock = new();
        private readonly HashSet<int> _registered = [];
        // Jobs given to this worker and not yet written, in order (locked by itself: filled under the
        // pool's lock, drained under the send lock).
        private readonly Queue<Job> _outbox = new();
        private readonly List<Job> _sending = [];
        private ArrayBufferWriter<byte> _frame = new(256);
        private long _outboxBytes;
        private bool _flushNow;
        private bool _reaped;

        public Worker(ProcessPool pool, ChildProcess child, Connection connection)
        {
            Child = child;
            Connection = connection;
            Pid = child.Pid;
            Reader = new Thread(() => pool.ReadResults(this)) { IsBackground = true, Name = $"plexus-pool-{child.Name}" };
        }

        public ChildProcess Child { get; }
        public Connection Connection { get; }
        public int Pid { get; }
        public Thread Reader { get; }
        public Queue<Job> InFlight { get; } = new();
        public int Dispatched { get; set; }
        public int Completed { get; set; }
        public bool Stopping { get; set; }

        // The fields below change under the pool's lock.

        /// <summary>The worker has run its initializer and said so (until then its reader thread reads).</summary>
        public bool Ready { get; set; }

        /// <summary>The reader thread reads (or is about to); otherwise it is parked on <see cref="Wake"/>.</summary>
        public bool ReaderActive { get; set; } = true;

        /// <summary>A blocking apply's thread is reading this worker's answers.</summary>
        public bool InlineReading { get; set; }

        /// <summary>The process has exited (or its pipe failed): read to the end.</summary>
        public bool Exited { get; set; }

        public SemaphoreSlim Wake { get; } = new(0);

        public long OutboxBytes => Volatile.Read(ref _outboxBytes);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool NeedsReading(bool terminated) => !Ready || InFlight.Count > 0 || Stopping || Exited || terminated;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        // The deeper queue is for small tasks only: what a worker has not read yet must never fill its
        // pipe, or a reader writing to it while the worker writes answers back could wait forever.
        public bool HasRoom(int? maxTasks) => !Stopping
            && (InFlight.Count < MaxInFlight || (Quick >= QuickStreak && InFlight.Count < MaxInFlightQuick && InFlightBytes < LargePayload))
            && (maxTasks is null || Dispatched < maxTasks);

        /// <summary>Whether a job was queued while the worker owed few answers (it must be written now), and clears it.</summary>
        public bool TakeFlushNow()
        {
            lock (_outbox)
            {
                bool now = _flushNow;
                _flushNow = false;
                return now;
            }
        }

        /// <summary>The payload bytes of <see cref="InFlight"/>.</summary>
        public long InFlightBytes { get; set; }

        /// <summary>How many answers in a row came within <see cref="QuickTicks"/> of the task's start (or of the previous answer).</summary>
        public int Quick { get; set; }

        public long LastAnswer { get; set; }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Enqueue(Job job, bool now)
        {
            lock (_outbox)
            {
                _flushNow |= now;
                _outbox.Enqueue(job);
                _outboxBytes += job.Payload.Length;
            }
        }

        /// <summary>Sends the queued jobs, as many per frame as fit in 64 KiB (a bigger job alone).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Flush()
        {
            lock (_sendLock)
            {
                while (true)
                {
                    _sending.Clear();
                    lock (_outbox)
                    {
                        long bytes = 0;
                        while (_outbox.TryPeek(out Job? next) && (_sending.Count == 0 || bytes + next.Payload.Length <= BatchBytes))
                        {
                            _sending.Add(_outbox.Dequeue());
                            bytes += next.Payload.Length;
                        }
                        _outboxBytes -= bytes;
                    }
                    if (_sending.Count == 0)
                    {
                        return;
                    }
                    _frame.ResetWrittenCount();
                    var writer = new MessagePackWriter(_frame);
                    writer.WriteArrayHeader(_sending.Count);
                    foreach (Job job in _sending)
                    {
                        writer.Write(job.Id);
                        writer.Write(job.Target.Id);
                        writer.Write(job.Kind);
                        if (_registered.Add(job.Target.Id))
                        {
                            PoolWire.WriteTarget(ref writer, job.Target.Target);
                        }
                        else
                        {
                            writer.WriteNil();
                        }
                        writer.Write(job.Payload);
                    }
                    writer.Flush();
                    _sending.Clear();
                    try
                    {
                        Connection.SendBytes(_frame.WrittenSpan);
                    }
                    catch (Exception e) when (e is IOException or ObjectDisposedException)
                    {
                        return; // the worker is gone; its reader thread sees the end and reassigns its jobs
                    }
                    finally
                    {
                        if (_frame.Capacity > 1 << 20)
                        {
                            _frame = new ArrayBufferWriter<byte>(256); // a huge job's buffer is not kept
                        }
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
                    Connection.SendBytes([0x90]); // an empty batch
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                }
            }
        }
    }
}
