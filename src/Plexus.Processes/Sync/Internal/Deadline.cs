using System.Runtime.InteropServices;
using Plexus.Native;

namespace Plexus.Processes.Sync;

/// <summary>A timeout turned into a deadline, so loops that wake early keep the caller's total bound.</summary>
internal readonly struct Deadline
{
    private readonly long _end;

    private Deadline(long end) => _end = end;

    public static Deadline Infinite => new(long.MaxValue);

    /// <summary>Validates <paramref name="timeout"/> (non-negative or <see cref="Timeout.InfiniteTimeSpan"/>).</summary>
    public static Deadline From(TimeSpan timeout, string parameter = "timeout")
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return Infinite;
        }
        if (timeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(parameter, timeout, "a timeout must be zero or positive, or Timeout.InfiniteTimeSpan to wait without limit");
        }
        return new(Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds));
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

    /// <summary>Milliseconds to sleep now: the remaining time, capped at <paramref name="slice"/>.</summary>
    public int Slice(int slice)
    {
        int left = RemainingMs;
        return left < 0 ? slice : Math.Min(left, slice);
    }

    public bool Passed => !IsInfinite && Environment.TickCount64 >= _end;
}
