using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Plexus.Redis;

/// <summary>
/// A joinable FIFO queue shared through a Redis stream and one consumer group (from
/// <see cref="RedisManager.GetQueue{T}"/>); Python's <c>JoinableQueue</c> across hosts.
/// </summary>
/// <remarks>
/// <para><see cref="Put"/> adds an entry; <see cref="Get"/> takes the oldest one not yet taken
/// (each item goes to one getter); <see cref="TaskDone"/> acknowledges and deletes the oldest item
/// this object took and has not marked done; <see cref="Join"/> waits until every item ever put
/// was marked done (the stream is empty). Getters sleep until a putter's pub/sub wake-up, or one
/// second at most.</para>
/// <para>At least once: an item taken by a getter that then disappears (or holds it longer than the
/// visibility timeout without marking it done) is delivered to another getter. Items put by one
/// client are delivered in order; after a redelivery, order is not kept.</para>
/// </remarks>
/// <typeparam name="T">The items.</typeparam>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Python's JoinableQueue, with the Redis prefix, as ProcessQueue.")]
public sealed class RedisQueue<T>
{
    private const string Group = "getters";
    private const string DoneScript = """
        local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        redis.call('XDEL', KEYS[1], ARGV[2])
        redis.call('PUBLISH', ARGV[3], '1')
        return acked
        """;

    private readonly IDatabase _db;
    private readonly string _consumer;
    private readonly TimeSpan _visibility;
    private readonly RedisChannel _putChannel;
    private readonly RedisChannel _doneChannel;
    private readonly RedisWakeup _put = new();
    private readonly RedisWakeup _done = new();
    private readonly ConcurrentQueue<RedisValue> _taken = new();
    private volatile bool _ready;

    internal RedisQueue(ConnectionMultiplexer connection, string key, string consumer, TimeSpan visibility)
    {
        _db = connection.GetDatabase();
        Key = key;
        _consumer = consumer;
        _visibility = visibility;
        _putChannel = RedisChannel.Literal(key + ":put");
        _doneChannel = RedisChannel.Literal(key + ":done");
        ISubscriber subscriber = connection.GetSubscriber();
        subscriber.Subscribe(_putChannel, (_, _) => _put.Set());
        subscriber.Subscribe(_doneChannel, (_, _) => _done.Set());
    }

    /// <summary>The stream's Redis key.</summary>
    public string Key { get; }

    /// <summary>Items put and not yet marked done, taken or not (<c>XLEN</c>).</summary>
    public long Unfinished => _db.StreamLength(Key);

    /// <summary>Adds <paramref name="item"/> at the end.</summary>
    public async Task PutAsync(T item)
    {
        await _db.StreamAddAsync(Key, "v", RedisValues.Write(item)).ConfigureAwait(false);
        _db.Publish(_putChannel, "1", CommandFlags.FireAndForget);
    }

    /// <summary>Adds <paramref name="item"/> at the end.</summary>
    public void Put(T item) => PutAsync(item).GetAwaiter().GetResult();

    /// <summary>Takes the oldest item not yet taken, waiting until there is one or <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task<T> GetAsync(CancellationToken cancellationToken = default)
    {
        if (!_ready)
        {
            await RedisStreams.EnsureGroupAsync(_db, Key, Group).ConfigureAwait(false);
            _ready = true;
        }
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            StreamEntry entry = await TakeAsync().ConfigureAwait(false);
            if (!entry.IsNull)
            {
                _taken.Enqueue(entry.Id);
                return RedisValues.Read<T>(entry["v"]);
            }
            if (!await _put.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false))
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>Takes the oldest item not yet taken (Python's <c>get(timeout=)</c>).</summary>
    /// <exception cref="TimeoutException">No item came within <paramref name="timeout"/>.</exception>
    public T Get(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? Timeout.InfiniteTimeSpan);
        try
        {
            return GetAsync(deadline.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"the queue {Key} stayed empty for {timeout}");
        }
    }

    /// <summary>Marks the oldest item this object took and has not marked as done (Python's <c>task_done()</c>).</summary>
    /// <exception cref="InvalidOperationException">Every item this object took is already done.</exception>
    public async Task TaskDoneAsync()
    {
        if (!_taken.TryDequeue(out RedisValue id))
        {
            throw new InvalidOperationException($"TaskDone called more times than Get on the queue {Key}");
        }
        await _db.ScriptEvaluateAsync(DoneScript, [Key], [Group, id, _doneChannel.ToString()]).ConfigureAwait(false);
    }

    /// <summary>Marks the oldest item this object took as done.</summary>
    public void TaskDone() => TaskDoneAsync().GetAwaiter().GetResult();

    /// <summary>Waits until every item put (by anyone) is marked done; <c>false</c> when <paramref name="timeout"/> passed first.</summary>
    public async Task<bool> JoinAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (await _db.StreamLengthAsync(Key).ConfigureAwait(false) > 0)
        {
            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return false;
            }
            await _done.WaitAsync(TimeSpan.FromMilliseconds(Math.Min(left, 1000)), cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
        return true;
    }

    /// <summary>Waits until every item put is marked done.</summary>
    public bool Join(TimeSpan? timeout = null) => JoinAsync(timeout ?? Timeout.InfiniteTimeSpan).GetAwaiter().GetResult();

    /// <summary>An item another getter took and left longer than the visibility timeout, else a new one, else null.</summary>
    private async Task<StreamEntry> TakeAsync()
    {
        StreamAutoClaimResult stale = await _db.StreamAutoClaimAsync(Key, Group, _consumer, (long)_visibility.TotalMilliseconds, "0-0", 1).ConfigureAwait(false);
        if (stale.ClaimedEntries.Length > 0 && !stale.ClaimedEntries[0].IsNull)
        {
            return stale.ClaimedEntries[0];
        }
        StreamEntry[] fresh = await _db.StreamReadGroupAsync(Key, Group, _consumer, ">", 1).ConfigureAwait(false);
        return fresh.Length > 0 ? fresh[0] : StreamEntry.Null;
    }
}
