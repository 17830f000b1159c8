using StackExchange.Redis;

namespace Plexus.Redis;

/// <summary>A held <see cref="RedisLock"/>: renewed in the background until disposed; dispose to release.</summary>
public sealed class RedisLockLease : IDisposable, IAsyncDisposable
{
    private readonly RedisLock _lock;
    private readonly string _token;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewal;
    private int _released;

    internal RedisLockLease(RedisLock owner, string token, long fencingToken)
    {
        _lock = owner;
        _token = token;
        FencingToken = fencingToken;
        _renewal = RenewLoopAsync();
    }

    /// <summary>This acquisition's number, higher than every earlier acquisition's: give it to the protected resource so it can refuse a stale holder.</summary>
    public long FencingToken { get; }

    /// <summary>Cancelled when a renewal finds the lock gone (the lease expired, or Redis lost it); the work it protects should stop.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>Whether this lease still believes it holds the lock (false once <see cref="Lost"/> fired or it was released).</summary>
    public bool IsHeld => !_lost.IsCancellationRequested && Volatile.Read(ref _released) == 0;

    private async Task RenewLoopAsync()
    {
        TimeSpan every = _lock.LeaseTime / 3;
        long renewedAt = Environment.TickCount64;
        while (true)
        {
            try
            {
                await Task.Delay(every, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                if (!await _lock.RenewAsync(_token).ConfigureAwait(false))
                {
                    await _lost.CancelAsync().ConfigureAwait(false);
                    return;
                }
                renewedAt = Environment.TickCount64;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // Cannot reach Redis: once a whole lease has passed unrenewed, another client may hold the lock.
                if (Environment.TickCount64 - renewedAt > _lock.LeaseTime.TotalMilliseconds)
                {
                    await _lost.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
    }

    /// <summary>Stops renewing and releases the lock if this lease still holds it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await _renewal.ConfigureAwait(false);
        try
        {
            await _lock.ReleaseAsync(_token).ConfigureAwait(false);
        }
        finally
        {
            _stop.Dispose();
            _lost.Dispose();
        }
    }

    /// <summary>Stops renewing and releases the lock.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
