using System.Runtime.CompilerServices;
using MessagePack;
using Plexus.Processes;
using Plexus.Processes.Serialization;

namespace Plexus.Redis;

public sealed partial class RedisPool
{
    /// <summary>Calls <paramref name="func"/> on every item and returns the results in order (Python's <c>map</c>); each chunk is one stream entry.</summary>
    /// <param name="func">A static method or a lambda that captures nothing.</param>
    /// <param name="items">The arguments.</param>
    /// <param name="chunkSize">Items per entry; default: the items spread over 64 entries, at most <see cref="RedisPoolOptions.MaxDefaultChunkSize"/> each.</param>
    public List<TResult> Map<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunkSize = null) => Map(func, items, chunkSize, CancellationToken.None);

    /// <summary>Like <see cref="Map{T, TResult}(Func{T, TResult}, IEnumerable{T}, int?)"/>; the token drops the chunks no worker has read and stops the wait.</summary>
    public List<TResult> Map<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunkSize, CancellationToken cancellationToken)
        => Block(MapTaskAsync(func, items, chunkSize, cancellationToken), cancellationToken);

    /// <summary>Like <see cref="Map{T, TResult}(Func{T, TResult}, IEnumerable{T}, int?)"/>, as a task.</summary>
    public Task<List<TResult>> MapTaskAsync<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunkSize = null, CancellationToken cancellationToken = default)
    {
        T[] all = items.ToArray();
        return Gather(SubmitChunks<T, TResult>(func, all, chunkSize ?? DefaultChunkSize(all.Length), cancellationToken), all.Length);
    }

    /// <summary>Yields results in input order as they arrive (Python's <c>imap</c>; default chunk size 1).</summary>
    public IEnumerable<TResult> Imap<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize = 1) => Imap(func, items, chunkSize, CancellationToken.None);

    /// <summary>Like <see cref="Imap{T, TResult}(Func{T, TResult}, IEnumerable{T}, int)"/>; the token drops the chunks no worker has read and ends the waiting.</summary>
    public IEnumerable<TResult> Imap<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize, CancellationToken cancellationToken)
    {
        List<Task<TResult[]>> chunks = SubmitChunks<T, TResult>(func, items.ToArray(), chunkSize, cancellationToken);
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
    public IEnumerable<TResult> ImapUnordered<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize = 1) => ImapUnordered(func, items, chunkSize, CancellationToken.None);

    /// <summary>Like <see cref="ImapUnordered{T, TResult}(Func{T, TResult}, IEnumerable{T}, int)"/>; the token drops the chunks no worker has read and ends the waiting.</summary>
    public IEnumerable<TResult> ImapUnordered<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize, CancellationToken cancellationToken)
        => ImapUnorderedAsync(func, items, chunkSize, cancellationToken).ToBlockingEnumerable(cancellationToken);

    /// <summary>Streams results in input order without blocking a thread.</summary>
    public async IAsyncEnumerable<TResult> ImapAsync<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize = 1,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (Task<TResult[]> chunk in SubmitChunks<T, TResult>(func, items.ToArray(), chunkSize, cancellationToken))
        {
            foreach (TResult result in await chunk.WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return result;
            }
        }
    }

    /// <summary>Streams results in the order they finish without blocking a thread.</summary>
    public async IAsyncEnumerable<TResult> ImapUnorderedAsync<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize = 1,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<Task<TResult[]>> chunks = SubmitChunks<T, TResult>(func, items.ToArray(), chunkSize, cancellationToken);
        await foreach (Task<TResult[]> chunk in Task.WhenEach(chunks).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            foreach (TResult result in await chunk.ConfigureAwait(false))
            {
                yield return result;
            }
        }
    }

    /// <summary>Calls <paramref name="func"/> with each pair of arguments, results in order (Python's <c>starmap</c>).</summary>
    public List<TResult> Starmap<T1, T2, TResult>(Func<T1, T2, TResult> func, IEnumerable<(T1, T2)> items, int? chunkSize = null) => Starmap(func, items, chunkSize, CancellationToken.None);

    /// <summary>Like <see cref="Starmap{T1, T2, TResult}(Func{T1, T2, TResult}, IEnumerable{ValueTuple{T1, T2}}, int?)"/>; the token drops the chunks no worker has read and stops the wait.</summary>
    public List<TResult> Starmap<T1, T2, TResult>(Func<T1, T2, TResult> func, IEnumerable<(T1, T2)> items, int? chunkSize, CancellationToken cancellationToken)
    {
        PoolTarget target = ToPoolTarget(func);
        (T1, T2)[] all = items.ToArray();
        return Block(Gather(SubmitBatches<TResult>(target, all.Length, chunkSize ?? DefaultChunkSize(all.Length), (ref MessagePackWriter writer, int i) =>
        {
            writer.WriteArrayHeader(2);
            MessagePackSerializer.Serialize(ref writer, all[i].Item1, PlexusSerializer.Options);
            MessagePackSerializer.Serialize(ref writer, all[i].Item2, PlexusSerializer.Options);
        }, cancellationToken), all.Length), cancellationToken);
    }

    private int DefaultChunkSize(int count) => Math.Clamp((count + 63) / 64, 1, Math.Max(1, _options.MaxDefaultChunkSize));

    private List<Task<TResult[]>> SubmitChunks<T, TResult>(Func<T, TResult> func, T[] all, int chunkSize, CancellationToken cancellationToken)
    {
        PoolTarget target = ToPoolTarget(func);
        return SubmitBatches<TResult>(target, all.Length, chunkSize, (ref MessagePackWriter writer, int i) =>
        {
            writer.WriteArrayHeader(1);
            MessagePackSerializer.Serialize(ref writer, all[i], PlexusSerializer.Options);
        }, cancellationToken);
    }

    /// <summary>Encodes <paramref name="count"/> calls in entries of <paramref name="chunkSize"/> and submits them; the last entry wakes the workers.</summary>
    private List<Task<TResult[]>> SubmitBatches<TResult>(PoolTarget target, int count, int chunkSize, PoolCallWriter write, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        var chunks = new List<Task<TResult[]>>((count + chunkSize - 1) / chunkSize);
        for (int start = 0; start < count; start += chunkSize)
        {
            int first = start, size = Math.Min(chunkSize, count - start);
            byte[] calls;
            using (PlexusSerializer.LeavingHost())
            {
                calls = PoolTarget.EncodeBatch(size, (ref MessagePackWriter writer, int i) => write(ref writer, first + i));
            }
            chunks.Add(SubmitEncoded<TResult>(target, calls, size, wakeWorkers: start + size >= count, cancellationToken));
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
}
