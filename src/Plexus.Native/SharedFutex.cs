using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary>
/// Waits on and wakes a 32-bit word (<c>futex(2)</c>, the process-shared form, so the word may live in
/// <c>MAP_SHARED</c> memory seen by several processes). A wait returns at once when the word no
/// longer holds the expected value, so a change made between a caller's check and its wait is never missed.
/// </summary>
public static unsafe class SharedFutex
{
    /// <summary>Sleeps while <c>*word == expected</c>, at most <paramref name="timeoutMs"/> milliseconds (-1: no limit).</summary>
    /// <returns><c>false</c> when the timeout elapsed; <c>true</c> on a wake, a changed word or a signal (check the word again).</returns>
    public static bool Wait(int* word, int expected, int timeoutMs)
    {
        LibC.Timespec ts = default;
        LibC.Timespec* timeout = null;
        if (timeoutMs >= 0)
        {
            ts.Seconds = timeoutMs / 1000;
            ts.Nanoseconds = timeoutMs % 1000 * 1_000_000L;
            timeout = &ts;
        }
        if (LibC.futex(LibC.SYS_futex, word, LibC.FUTEX_WAIT, expected, timeout, 0, 0) == 0)
        {
            return true;
        }
        int errno = Marshal.GetLastPInvokeError();
        return errno switch
        {
            Errnos.ETIMEDOUT => false,
            Errnos.EAGAIN or Errnos.EINTR => true,
            _ => throw new ErrnoException("futex(FUTEX_WAIT)", errno),
        };
    }

    /// <summary>Wakes up to <paramref name="count"/> waiters on <paramref name="word"/> and returns how many woke.</summary>
    public static int Wake(int* word, int count)
        => (int)LibC.futex(LibC.SYS_futex, word, LibC.FUTEX_WAKE, count, null, 0, 0);
}
