namespace Plexus.Native;

/// <summary>
/// Signal-driven I/O: the kernel signals a descriptor's owner when the descriptor becomes ready.
/// With <c>F_SETSIG</c> a real-time signal is queued per event and carries the descriptor (read it
/// as <see cref="SignalFdInfo.Fd"/>); when the process's real-time queue is full
/// (<see cref="PendingSignalLimit"/>) the kernel sends a plain <see cref="Signals.SigIo"/> instead,
/// which names no descriptor.
/// </summary>
public static unsafe class SignalDrivenIo
{
    /// <summary>
    /// Makes <paramref name="fd"/> non-blocking and signal-driven: readiness queues
    /// <paramref name="signal"/> to the thread <paramref name="threadId"/> only
    /// (<c>F_SETOWN_EX</c> with <c>F_OWNER_TID</c>), so no other thread of the process can take it.
    /// The signal and owner are set before <c>O_ASYNC</c>, so no signal is ever sent elsewhere.
    /// </summary>
    public static void Enable(int fd, int signal, int threadId)
    {
        LibC.Check(LibC.fcntl(fd, LibC.F_SETSIG, signal), "fcntl(F_SETSIG)", $"descriptor {fd}");
        LibC.FOwnerEx owner = new() { Type = LibC.F_OWNER_TID, Pid = threadId };
        LibC.Check(LibC.fcntl_owner(fd, LibC.F_SETOWN_EX, &owner), "fcntl(F_SETOWN_EX)", $"descriptor {fd}, thread {threadId}");
        int flags = LibC.Check(LibC.fcntl(fd, LibC.F_GETFL, 0), "fcntl(F_GETFL)", $"descriptor {fd}");
        LibC.Check(LibC.fcntl(fd, LibC.F_SETFL, flags | LibC.O_ASYNC | LibC.O_NONBLOCK), "fcntl(F_SETFL, O_ASYNC)", $"descriptor {fd}");
    }
}
