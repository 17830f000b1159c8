namespace Plexus.Native;

/// <summary>
/// <c>epoll(7)</c>: a kernel readiness set that costs O(ready) per wait, not O(watched). Every
/// instance is close-on-exec. <see cref="Wait"/> is for hot loops: it returns a negated errno
/// rather than throwing.
/// </summary>
public static unsafe class Epoll
{
    /// <summary>Readable (or a listener has a connection waiting).</summary>
    public const uint In = LibC.EPOLLIN;

    /// <summary>Writable.</summary>
    public const uint Out = LibC.EPOLLOUT;

    /// <summary>An error is pending (always reported).</summary>
    public const uint Error = LibC.EPOLLERR;

    /// <summary>Hung up (always reported).</summary>
    public const uint HangUp = LibC.EPOLLHUP;

    /// <summary>The peer shut down its sending side (<c>EPOLLRDHUP</c>).</summary>
    public const uint PeerClosed = LibC.EPOLLRDHUP;

    /// <summary>Edge-triggered: reported once per change, so the reader must drain the descriptor (<c>EPOLLET</c>).</summary>
    public const uint EdgeTriggered = LibC.EPOLLET;

    /// <summary>Reported once, then disabled until re-armed with <see cref="Modify"/> (<c>EPOLLONESHOT</c>).</summary>
    public const uint OneShot = LibC.EPOLLONESHOT;

    /// <summary>Creates a close-on-exec epoll instance and returns its descriptor (close it with <see cref="Descriptors.Close"/>).</summary>
    public static int Create() => LibC.Check(LibC.epoll_create1(LibC.EPOLL_CLOEXEC), "epoll_create1");

    /// <summary>Watches <paramref name="fd"/> for <paramref name="events"/>; <paramref name="data"/> comes back in its reports.</summary>
    public static void Add(int epfd, int fd, uint events, ulong data) => Control(epfd, LibC.EPOLL_CTL_ADD, fd, events, data, "epoll_ctl(EPOLL_CTL_ADD)");

    /// <summary>Changes what <paramref name="fd"/> is watched for.</summary>
    public static void Modify(int epfd, int fd, uint events, ulong data) => Control(epfd, LibC.EPOLL_CTL_MOD, fd, events, data, "epoll_ctl(EPOLL_CTL_MOD)");

    /// <summary>Stops watching <paramref name="fd"/> (closing a descriptor removes it too).</summary>
    public static void Remove(int epfd, int fd) => Control(epfd, LibC.EPOLL_CTL_DEL, fd, 0, 0, "epoll_ctl(EPOLL_CTL_DEL)");

    /// <summary>
    /// Stops watching <paramref name="fd"/> without throwing: 0, or the negated errno (<c>-EBADF</c> when
    /// the descriptor was closed first, <c>-ENOENT</c> when it was not watched), for callers to whom
    /// "already gone" is not an error.
    /// </summary>
    public static int TryRemove(int epfd, int fd)
    {
        EpollEvent ev = default;
        return LibC.OrErrno(LibC.epoll_ctl(epfd, LibC.EPOLL_CTL_DEL, fd, &ev));
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> milliseconds (-1: no limit; 0: just look) and fills
    /// <paramref name="events"/> from the start. Returns how many were filled, or the negated errno
    /// (<c>-EINTR</c> after a signal).
    /// </summary>
    public static int Wait(int epfd, Span<EpollEvent> events, int timeoutMs)
    {
        fixed (EpollEvent* p = events)
        {
            return LibC.OrErrno(LibC.epoll_wait(epfd, p, events.Length, timeoutMs));
        }
    }

    private static void Control(int epfd, int op, int fd, uint events, ulong data, string call)
    {
        EpollEvent ev = new() { Events = events, Data = data };
        if (LibC.epoll_ctl(epfd, op, fd, &ev) == -1)
        {
            throw ErrnoException.FromLastError(call, $"descriptor {fd}");
        }
    }
}
