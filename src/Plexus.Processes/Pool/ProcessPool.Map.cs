using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MessagePack;
using MessagePack.Formatters;
using Plexus.Processes.Serialization;

namespace Plexus.Processes;

// The map family: many items of one target, sent in chunks.
public sealed partial class ProcessPool
{
    /// <summary>Applies <paramref name="func"/> to every item and returns the results in order (Python's <c>map</c>).</summary>
    /// <param name="func">The task.</param>
    /// <param name="items">The inputs.</param>
    /// <param name="chunkSize">Items per message to a worker; default as Python: about a quarter of an even share per worker.</param>
    /// <exception cref="ChildProcessException">A task threw (the first error fails the whole map, as in Python).</exception>
    public List<TResult> Map<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunkSize = null)
        => Map(func, items, chunkSize, CancellationToken.None);

    /// <summary>
    /// Like <see cref="Map{T, TResult}(Func{T, TResult}, IEnumerable{T}, int?)"/>; cancelling
    /// <paramref name="cancellationToken"/> drops the chunks not yet sent to a worker and stops waiting.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public List<TResult> Map<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunkSize, CancellationToken cancellationToken)
    {
        T[] all = items as T[] ?? items.ToArray();
        // The chunks' results land straight in the list; the calling thread waits (each chunk's
        // completion wakes it directly, no thread-pool hop).
        var results = new List<TResult>(all.Length);
        CollectionsMarshal.SetCount(results, all.Length);
        foreach (Task<TResult[]> chunk in SubmitChunks(ToPoolTarget(func), all, chunkSize ?? DefaultChunkSize(all.Length), cancellationToken, results))
        {
            Block(chunk, cancellationToken);
        }
        return results;
    }

    /// <summary>Starts a <see cref="Map{T, TResult}(Func{T, TResult}, IEnumerable{T}, int?)"/> and returns at once (Python's <c>map_async</c>).</summary>
    public AsyncResult<List<TResult>> MapAsync<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunkSize = null,
        Action<List<TResult>>? callback = null, Action<Exception>? errorCallback = null)
        => WithCallbacks(MapTask(func, items, chunkSize, CancellationToken.None), callback, errorCallback);

    /// <summary>Like <see cref="Map{T, TResult}(Func{T, TResult}, IEnumerable{T}, int?)"/> as a task; the token cancels the chunks not yet sent to a worker.</summary>
    public Task<List<TResult>> MapTaskAsync<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunkSize = null, CancellationToken cancellationToken = default)
        => MapTask(func, items, chunkSize, cancellationToken);

    /// <summary>Yields results in input order as they become available (Python's <c>imap</c>; default chunk size 1).</summary>
    public IEnumerable<TResult> Imap<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize = 1)
        => Imap(func, items, chunkSize, CancellationToken.None);

    /// <summary>Like <see cref="Imap{T, TResult}(Func{T, TResult}, IEnumerable{T}, int)"/>; the token drops the chunks not yet sent and ends the waiting.</summary>
    public IEnumerable<TResult> Imap<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize, CancellationToken cancellationToken)
    {
        List<Task<TResult[]>> chunks = SubmitChunks<T, TResult>(ToPoolTarget(func), items, chunkSize, cancellationToken);
        return Ordered(chunks, cancellationToken);

        static IEnumerable<TResult> Ordered(List<Task<TResult[]>> chunks, CancellationToken cancellationToken)
        {
            foreach (Task<TResult[]> chunk in chunks)
            {
                foreach (TResult result in Block(chunk, cancellationToken))
                {
                    yield return result;
                }
            }
        }
    }

    /// <summary>Yields results in the order they finish (Python's <c>imap_unordered</c>).</summary>
    public IEnumerable<TResult> ImapUnordered<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize = 1)
        => ImapUnordered(func, items, chunkSize, CancellationToken.None);

    /// <summary>Like <see cref="ImapUnordered{T, TResult}(Func{T, TResult}, IEnumerable{T}, int)"/>; the token drops the chunks not yet sent and ends the waiting.</summary>
    public IEnumerable<TResult> ImapUnordered<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize, CancellationToken cancellationToken)
    {
        List<Task<TResult[]>> chunks = SubmitChunks<T, TResult>(ToPoolTarget(func), items, chunkSize, cancellationToken);
        return Unordered(chunks, cancellationToken);

        static IEnumerable<TResult> Unordered(List<Task<TResult[]>> chunks, CancellationToken cancellationToken)
        {
            var remaining = new List<Task<TResult[]>>(chunks);
            while (remaining.Count > 0)
            {
                int index = Task.WaitAny([.. remaining], cancellationToken);
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
        List<Task<TResult[]>> chunks = SubmitChunks<T, TResult>(ToPoolTarget(func), items, chunkSize, cancellationToken);
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
        List<Task<TResult[]>> chunks = SubmitChunks<T, TResult>(ToPoolTarget(func), items, chunkSize, cancellationToken);
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
        => Starmap(func, items, chunkSize, CancellationToken.None);

    /// <summary>Like <see cref="Starmap{T1, T2, TResult}(Func{T1, T2, TResult}, IEnumerable{ValueTuple{T1, T2}}, int?)"/>; the token drops the chunks not yet sent and stops waiting.</summary>
    public List<TResult> Starmap<T1, T2, TResult>(Func<T1, T2, TResult> func, IEnumerable<(T1, T2)> items, int? chunkSize, CancellationToken cancellationToken)
    {
        PoolTarget target = ToPoolTarget(func);
        (T1, T2)[] all = items.ToArray();
        return Block(Gather(SubmitEncoded<TResult>(target, all.Length, chunkSize,
            (ref MessagePackWriter writer, int i) =>
            {
                writer.WriteArrayHeader(2);
                MessagePackSerializer.Serialize(ref writer, all[i].Item1, PlexusSerializer.Options);
                MessagePackSerializer.Serialize(ref writer, all[i].Item2, PlexusSerializer.Options);
            }, cancellationToken), all.Length), cancellationToken);
    }

    /// <summary>Calls any static <paramref name="func"/> with each argument list, results in order (Python's <c>starmap</c>).</summary>
    public List<object?> Starmap(Delegate func, IEnumerable<object?[]> items, int? chunkSize = null) => Starmap(func, items, chunkSize, CancellationToken.None);

    /// <summary>Like <see cref="Starmap(Delegate, IEnumerable{object?[]}, int?)"/>; the token drops the chunks not yet sent and stops waiting.</summary>
    public List<object?> Starmap(Delegate func, IEnumerable<object?[]> items, int? chunkSize, CancellationToken cancellationToken)
    {
        PoolTarget target = ToPoolTarget(func);
        object?[][] all = items.ToArray();
        return Block(Gather(SubmitEncoded<object?>(target, all.Length, chunkSize,
            (ref MessagePackWriter writer, int i) => target.WriteArguments(ref writer, all[i], nameof(items)), cancellationToken), all.Length), cancellationToken);
    }

    /// <summary>Waits for <paramref name="task"/> on the calling thread (or until the token is cancelled) and returns its result.</summary>
    private static T Block<T>(Task<T> task, CancellationToken cancellationToken)
        => (cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task).GetAwaiter().GetResult();

    private Task<List<TResult>> MapTask<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunkSize, CancellationToken cancellationToken)
    {
        T[] all = items as T[] ?? items.ToArray();
        return Gather(SubmitChunks<T, TResult>(ToPoolTarget(func), all, chunkSize ?? DefaultChunkSize(all.Length), cancellationToken), all.Length);
    }

    private int DefaultChunkSize(int count)
    {
        int chunk = Math.DivRem(count, Processes * 4, out int extra);
        return Math.Max(1, chunk + (extra > 0 ? 1 : 0));
    }

    private List<Task<TResult[]>> SubmitChunks<T, TResult>(PoolTarget target, IEnumerable<T> items, int chunkSize, CancellationToken cancellationToken,
        List<TResult>? into = null)
    {
        PoolFastRunner.Keep<T, TResult>();
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
        var jobs = new List<PoolJob>(chunks.Capacity);
        for (int start = 0; start < all.Length; start += chunkSize)
        {
            ReadOnlySpan<T> chunk = all.AsSpan(start, Math.Min(chunkSize, all.Length - start));
            byte[] payload = raw ? PoolWire.WriteRaw(chunk) : EncodeItems(chunk);
            var job = new PoolChunkJob<TResult>(NextId(), target, payload, raw ? PoolWire.RawItems : PoolWire.Items, into, start, chunk.Length);
            jobs.Add(job);
            chunks.Add(job.Task);
        }
        Enqueue(jobs, cancellationToken);
        return chunks;

        static byte[] EncodeItems(ReadOnlySpan<T> chunk)
        {
            ArrayBufferWriter<byte> buffer = PoolScratch.Take();
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

    private List<Task<TResult[]>> SubmitEncoded<TResult>(PoolTarget target, int count, int? chunkSize, PoolCallWriter write, CancellationToken cancellationToken,
        List<TResult>? into = null)
    {
        int size = chunkSize ?? DefaultChunkSize(count);
        if (size < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSize), size, "chunkSize must be at least 1");
        }
        var chunks = new List<Task<TResult[]>>((count + size - 1) / size);
        var jobs = new List<PoolJob>(chunks.Capacity);
        for (int start = 0; start < count; start += size)
        {
            int first = start;
            int length = Math.Min(size, count - start);
            byte[] payload = PoolTarget.EncodeBatch(length, (ref MessagePackWriter writer, int i) => write(ref writer, first + i));
            var job = new PoolChunkJob<TResult>(NextId(), target, payload, PoolWire.Calls, into, first, length);
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
}
