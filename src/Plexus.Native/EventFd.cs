namespace Plexus.Native;

/// <summary>
/// <c>eventfd(2)</c>: a kernel counter behind a descriptor, readable while it is above zero; the
/// cheapest way to wake a thread blocked in epoll, poll or select. Every one made here is close-on-exec.
/// </summary>
public static unsafe class EventFd
{
    /// <summary>Creates an event descriptor whose counter starts at zero.</summary>
    public static int Create(bool nonBlocking)
        => LibC.Check(LibC.eventfd(0, LibC.EFD_CLOEXEC | (nonBlocking ? LibC.EFD_NONBLOCK : 0)), "eventfd");

    /// <summary>Adds one to the counter, making the descriptor readable.</summary>
    public static void Signal(int fd)
    {
        ulong one = 1;
        while (LibC.write(fd, (byte*)&one, sizeof(ulong)) == -1)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == Errnos.EAGAIN)
            {
                return; // the counter is at its maximum: readable already
            }
            if (errno != Errnos.EINTR)
            {
                throw new ErrnoException("write(eventfd)", errno, $"descriptor {fd}");
            }
        }
    }

    /// <summary>
    /// Reads the counter and resets it to zero: the number of signals since the last drain. A
    /// non-blocking descriptor with nothing pending returns 0; a blocking one waits for a signal.
    /// </summary>
    public static long Drain(int fd)
    {
        ulong value;
        while (LibC.read(fd, (byte*)&value, sizeof(ulong)) == -1)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == Errnos.EAGAIN)
            {
                return 0;
            }
            if (errno != Errnos.EINTR)
            {
                throw new ErrnoException("read(eventfd)", errno, $"descriptor {fd}");
            }
        }
        return (long)value;
    }
}
