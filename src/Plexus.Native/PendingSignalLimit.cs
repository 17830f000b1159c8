namespace Plexus.Native;

/// <summary>
/// <c>RLIMIT_SIGPENDING</c>: how many signals may be queued for this process's user at once (the
/// real-time queue of signal-driven I/O counts against it). Lowering the soft limit is always allowed.
/// </summary>
public static unsafe class PendingSignalLimit
{
    /// <summary>The soft limit.</summary>
    public static long Soft
    {
        get
        {
            LibC.RLimit limit;
            LibC.Check(LibC.getrlimit(LibC.RLIMIT_SIGPENDING, &limit), "getrlimit(RLIMIT_SIGPENDING)");
            return limit.Current >= long.MaxValue ? long.MaxValue : (long)limit.Current;
        }
    }

    /// <summary>Sets the soft limit to <paramref name="soft"/> (at most the hard limit).</summary>
    public static void SetSoft(long soft)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(soft);
        LibC.RLimit limit;
        LibC.Check(LibC.getrlimit(LibC.RLIMIT_SIGPENDING, &limit), "getrlimit(RLIMIT_SIGPENDING)");
        limit.Current = Math.Min((ulong)soft, limit.Maximum);
        LibC.Check(LibC.setrlimit(LibC.RLIMIT_SIGPENDING, &limit), "setrlimit(RLIMIT_SIGPENDING)", soft.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
