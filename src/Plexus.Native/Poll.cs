namespace Plexus.Native;

/// <summary>
/// <c>poll(2)</c>: the caller hands the kernel the whole array on every call, so a wait costs
/// O(watched); unlike <see cref="FdSet.Select"/> it has no descriptor-number ceiling.
/// </summary>
public static unsafe class Poll
{
    /// <summary>Readable (or a listener has a connection waiting).</summary>
    public const short In = LibC.POLLIN;

    /// <summary>Writable.</summary>
    public const short Out = LibC.POLLOUT;

    /// <summary>An error is pending (reported unasked).</summary>
    public const short Error = LibC.POLLERR;

    /// <summary>Hung up (reported unasked).</summary>
    public const short HangUp = LibC.POLLHUP;

    /// <summary>The descriptor is not open (reported unasked).</summary>
    public const short Invalid = LibC.POLLNVAL;

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> milliseconds (-1: no limit) for any of
    /// <paramref name="fds"/> and sets their <see cref="PollFd.REvents"/>. Returns how many have
    /// events, or the negated errno (<c>-EINTR</c> after a signal).
    /// </summary>
    public static int Wait(Span<PollFd> fds, int timeoutMs)
    {
        fixed (PollFd* p = fds)
        {
            return LibC.OrErrno(LibC.poll(p, (nuint)fds.Length, timeoutMs));
        }
    }
}
