using StackExchange.Redis;

namespace Plexus.Redis;

/// <summary>
/// A lock shared through one Redis key (from <see cref="RedisManager.GetLock"/>): acquired with
/// <c>SET key token NX PX lease</c>, renewed while held, released only by its holder, and each
/// acquisition numbered by a fencing token.
/// </summary>
/// <remarks>
/// <para>Guarantees, on one Redis server: at most one holder at a time while the server runs and
/// keeps its data. A holder whose process stalls (or loses Redis) longer than the lease loses the
/// lock without knowing at once: its <see cref="RedisLockLease.Lost"/> token is cancelled at the
/// next renewal, but work already under way continues. Pass <see cref="RedisLockLease.FencingToken"/>
/// to whatever the lock protects and have it refuse tokens lower than the highest it has seen:
/// that, not the lock, makes a stale holder harmless.</para>
/// <para>Not Redlock, and not safe across failover: a replica promoted before it received the
/// <c>SET</c> grants the lock a second time, and a server restarted without <c>appendfsync always</c>
/// may forget both the lock and the fencing counter.</para>
/// </remarks>
public sealed class RedisLock
{
    private const string AcquireScript = """
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
          return redis.call('INCR', KEYS[2])
        end
        return 0
        """;

    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('DEL', KEYS[1])
          redis.call('PUBLISH', ARGV[2], '1')
          return 1
        end
        return 0
        """;

    private readonly IDatabase _db;
    private readonly RedisChannel _released;
    private readonly RedisWakeup _wakeup = new();

    internal RedisLock(ConnectionMultiplexer connection, string key, TimeSpan leaseTime)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(leaseTime, TimeSpan.FromMilliseconds(100));
        _db = connection.GetDatabase();
        Key = key;
        LeaseTime = leaseTime;
        _released = RedisChannel.Literal(key + ":released");
        connection.GetSubscriber().Subscribe(_released, (_, _) => _wakeup.Set());
    }

    /// <summary>The lock's Redis key (its fencing counter is <c>{Key}:fence</c>).</summary>
    public string Key { get; }

    /// <summary>How long a lease lasts without renewal; the holder renews it every third of that.</summary>
    public TimeSpan LeaseTime { get; }

    /// <summary>Takes the lock if it is free; <c>null</c> when someone holds it.</summary>
    public async Task<RedisLockLease?> TryAcquireAsync()
    {
        string token = Guid.NewGuid().ToString("N");
        long fence = (long)await _db.ScriptEvaluateAsync(AcquireScript, [Key, Key + ":fence"], [token, (long)LeaseTime.TotalMilliseconds]).ConfigureAwait(false);
        return fence == 0 ? null : new RedisLockLease(this, token, fence);
    }

    /// <summary>Waits for the lock (woken by its release, or retrying every 200 ms) until <paramref name="timeout"/> or <paramref name="cancellationToken"/>.</summary>
    /// <exception cref="TimeoutException">The lock stayed held for <paramref name="timeout"/>.</exception>
    public async Task<RedisLockLease> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        long deadline = timeout is { } t && t != Timeout.InfiniteTimeSpan ? Environment.TickCount64 + (long)t.TotalMilliseconds : long.MaxValue;
        while (true)
        {
            if (await TryAcquireAsync().ConfigureAwait(false) is { } lease)
            {
                return lease;
            }
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"the lock {Key} stayed held for {timeout}");
            }
            await _wakeup.WaitAsync(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Waits for the lock; see <see cref="AcquireAsync"/>.</summary>
    public RedisLockLease Acquire(TimeSpan? timeout = null) => AcquireAsync(timeout).GetAwaiter().GetResult();

    internal async Task<bool> RenewAsync(string token)
        => (long)await _db.ScriptEvaluateAsync(RenewScript, [Key], [token, (long)LeaseTime.TotalMilliseconds]).ConfigureAwait(false) == 1;

    internal async Task ReleaseAsync(string token)
        => await _db.ScriptEvaluateAsync(ReleaseScript, [Key], [token, _released.ToString()]).ConfigureAwait(false);
}
