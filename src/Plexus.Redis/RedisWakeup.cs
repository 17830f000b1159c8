using System.Threading.Channels;

namespace Plexus.Redis;

/// <summary>
/// A coalescing wake-up fed by a pub/sub message: waiters sleep until it is set or a fallback
/// interval passes (a message published while a connection was being restored is lost, so a
/// waiter must never sleep for ever on one).
/// </summary>
internal sealed class RedisWakeup
{
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Set() => _signal.Writer.TryWrite(true);

    /// <summary>Waits for <see cref="Set"/> or <paramref name="fallback"/>; <c>false</c> when <paramref name="cancellationToken"/> ended the wait.</summary>
    public async Task<bool> WaitAsync(TimeSpan fallback, CancellationToken cancellationToken)
    {
        using var nap = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        nap.CancelAfter(fallback);
        try
        {
            await _signal.Reader.ReadAsync(nap.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The fallback interval passed: the caller checks again.
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        return true;
    }
}
