namespace Plexus.Native;

/// <summary>
/// <c>signalfd(2)</c>: signals read as data from a descriptor, so they are handled in ordinary code
/// at a point of the program's choosing instead of in a handler. A signalfd reports signals pending
/// for the process or for the thread that reads it; block them first (<see cref="Signals.BlockInCurrentThread"/>)
/// or they are delivered the usual way. Every one made here is close-on-exec.
/// </summary>
public static unsafe class SignalFd
{
    /// <summary>Creates a signalfd for <paramref name="signals"/>.</summary>
    public static int Create(bool nonBlocking, params ReadOnlySpan<int> signals)
    {
        LibC.SigSet set = Signals.SetOf(signals);
        return LibC.Check(LibC.signalfd(-1, &set, LibC.SFD_CLOEXEC | (nonBlocking ? LibC.SFD_NONBLOCK : 0)), "signalfd");
    }

    /// <summary>
    /// Reads as many pending signals as fit in <paramref name="into"/>: how many were read, or the
    /// negated errno (<c>-EAGAIN</c> when none is pending on a non-blocking descriptor).
    /// </summary>
    public static int Read(int fd, Span<SignalFdInfo> into)
    {
        fixed (SignalFdInfo* p = into)
        {
            int n = LibC.OrErrno(LibC.read(fd, (byte*)p, into.Length * sizeof(SignalFdInfo)));
            return n < 0 ? n : n / sizeof(SignalFdInfo);
        }
    }
}
