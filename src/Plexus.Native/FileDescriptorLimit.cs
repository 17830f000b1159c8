namespace Plexus.Native;

/// <summary>
/// The process's open-descriptor limit (<c>RLIMIT_NOFILE</c>), like Python's
/// <c>resource.getrlimit/setrlimit(RLIMIT_NOFILE)</c>. A server or client holding thousands of
/// sockets raises the soft limit first; only root can raise the hard limit.
/// </summary>
public static class FileDescriptorLimit
{
    /// <summary>The current soft and hard limits (<see cref="long.MaxValue"/> for unlimited).</summary>
    public static (long Soft, long Hard) Current
    {
        get
        {
            LibC.RLimit limit = Get();
            return (ToLong(limit.Current), ToLong(limit.Maximum));
        }
    }

    /// <summary>The soft limit: the most descriptors this process may hold now.</summary>
    public static long Soft => Current.Soft;

    /// <summary>The hard limit: the ceiling an unprivileged process may raise its soft limit to.</summary>
    public static long Hard => Current.Hard;

    /// <summary>
    /// Raises the soft limit to at least <paramref name="needed"/> (never lowers it) and returns the
    /// new soft limit.
    /// </summary>
    /// <remarks>A privileged process (root, <c>CAP_SYS_RESOURCE</c>) raises the hard limit as well when it must.</remarks>
    /// <exception cref="InvalidOperationException">The hard limit is below <paramref name="needed"/> and this process may not raise it.</exception>
    public static long Raise(int needed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(needed);
        LibC.RLimit limit = Get();
        if (limit.Current >= (ulong)needed)
        {
            return ToLong(limit.Current);
        }
        ulong hard = limit.Maximum;
        limit.Current = (ulong)needed;
        limit.Maximum = Math.Max(hard, (ulong)needed);
        unsafe
        {
            // Raising the hard limit too works for a privileged process (root, CAP_SYS_RESOURCE) and fails with EPERM otherwise.
            if (LibC.setrlimit(LibC.RLIMIT_NOFILE, &limit) < 0)
            {
                if (hard < (ulong)needed)
                {
                    throw new InvalidOperationException(
                        $"need {needed} descriptors but the hard limit is {hard}; raise it with `ulimit -Hn {needed}` " +
                        "(as root; above the kernel's fs.nr_open raise that sysctl first) or a nofile line in /etc/security/limits.conf, " +
                        "then start this process again");
                }
                LibC.Check(-1, "setrlimit(RLIMIT_NOFILE)", needed.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return needed;
    }

    private static unsafe LibC.RLimit Get()
    {
        LibC.RLimit limit;
        LibC.Check(LibC.getrlimit(LibC.RLIMIT_NOFILE, &limit), "getrlimit(RLIMIT_NOFILE)");
        return limit;
    }

    private static long ToLong(ulong value) => value >= long.MaxValue ? long.MaxValue : (long)value;
}
