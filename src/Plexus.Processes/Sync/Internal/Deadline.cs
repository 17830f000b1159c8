namespace Plexus.Processes.Sync;

/// <summary>
/// A timeout turned into a deadline, so loops that wake early keep the caller's total bound, with the
/// caller's cancellation token (every sleep checks it).
/// </summary>
internal readonly struct Deadline
{
    private readonly long _end;

    private Deadline(long end, CancellationToken token)
    {
        _end = end;
        Token = token;
    }

    public static Deadline Infinite => new(long.MaxValue, default);

    /// <summary>The caller's token; a sleep under this deadline throws <see cref="OperationCanceledException"/> when it fires.</summary>
    public CancellationToken Token { get; }

    /// <summary>Validates <paramref name="timeout"/> (non-negative or <see cref="Timeout.InfiniteTimeSpan"/>).</summary>
    public static Deadline From(TimeSpan timeout, CancellationToken token = default)
    {
        token.ThrowIfCancellationRequested();
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return new(long.MaxValue, token);
        }
        if (timeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "a timeout must be zero or positive, or Timeout.InfiniteTimeSpan to wait without limit");
        }
        return new(Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds), token);
    }

    public bool IsInfinite => _end == long.MaxValue;

    /// <summary>Milliseconds left (0 when passed, -1 when infinite).</summary>
    public int RemainingMs
    {
        get
        {
            if (IsInfinite)
            {
                return -1;
            }
            long left = _end - Environment.TickCount64;
            return left <= 0 ? 0 : (int)Math.Min(left, int.MaxValue);
        }
    }

    public bool Passed => !IsInfinite && Environment.TickCount64 >= _end;
}
