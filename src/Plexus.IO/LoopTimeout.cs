namespace Plexus.IO;

/// <summary>
/// A deadline on the loop's clock (Python's <c>asyncio.timeout</c> context manager), made by
/// <see cref="EventLoop.Timeout"/>. Pass <see cref="Token"/> to the operations it guards; when the
/// deadline passes they are cancelled and <see cref="Expired"/> tells a timeout from other
/// cancellation. Use it on the loop's thread.
/// </summary>
public sealed class LoopTimeout : IDisposable
{
    private static readonly Action<object?> s_expire = static s => ((LoopTimeout)s!).Expire();

    private readonly EventLoop _loop;
    private readonly CancellationTokenSource _source;
    private LoopHandle _timer;

    internal LoopTimeout(EventLoop loop, TimeSpan delay, CancellationToken outer)
    {
        _loop = loop;
        _source = outer.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(outer) : new CancellationTokenSource();
        _timer = loop.CallLater(delay, s_expire, this);
    }

    /// <summary>Cancelled when the deadline passes (or the outer token is cancelled).</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>True once the deadline passed and <see cref="Token"/> was cancelled because of it.</summary>
    public bool Expired { get; private set; }

    /// <summary>The deadline on the loop's clock (<see cref="EventLoop.Time"/>, seconds).</summary>
    public double When => _timer.When;

    /// <summary>Moves the deadline to <paramref name="delay"/> from now (Python's <c>Timeout.reschedule</c>); refused once expired.</summary>
    public void Reschedule(TimeSpan delay)
    {
        if (Expired)
        {
            throw new InvalidOperationException("this timeout has already expired and cancelled its work; make a new one with EventLoop.Timeout");
        }
        _timer.Cancel();
        _timer = _loop.CallLater(delay, s_expire, this);
    }

    /// <summary>Drops the deadline (the guarded work is done).</summary>
    public void Dispose()
    {
        _timer.Cancel();
        _source.Dispose();
    }

    private void Expire()
    {
        Expired = true;
        _source.Cancel();
    }
}
