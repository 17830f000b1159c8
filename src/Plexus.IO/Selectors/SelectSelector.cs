using System.Numerics;
using Plexus.Native;

namespace Plexus.IO.Selectors;

/// <summary>
/// <c>select(2)</c> (Python's <c>selectors.SelectSelector</c>): portable, level-triggered, but an
/// <c>fd_set</c> holds only descriptors 0..1023 (<c>FD_SETSIZE</c>) and every wait scans them all.
/// A larger descriptor is refused at registration: writing it into an <c>fd_set</c> would
/// corrupt memory (the crash Python's <c>select.select</c> shows at descriptor 1024).
/// A registered descriptor that was closed is reported as <see cref="SelectorEvents.Error"/>.
/// </summary>
public sealed unsafe class SelectSelector : Selector
{
    /// <summary>The largest descriptor number plus one that <c>select</c> can watch (glibc's <c>FD_SETSIZE</c>).</summary>
    public const int FdSetSize = FdSet.Capacity;

    private FdSet _read;
    private FdSet _write;
    private int _maxFd = -1;

    private protected override void Add(SelectorKey key)
    {
        if (key.Fd >= FdSetSize)
        {
            throw new ArgumentOutOfRangeException(
                nameof(key), key.Fd,
                $"descriptor {key.Fd} is too large for select(): an fd_set holds descriptors 0..{FdSetSize - 1} (FD_SETSIZE = {FdSetSize}) " +
                    "and a larger one would overrun it; use PollSelector or EpollSelector (DefaultSelector.Create()) for this many descriptors");
        }
        Set(key);
        _maxFd = Math.Max(_maxFd, key.Fd);
    }

    private protected override void Change(SelectorKey key) => Set(key);

    private protected override void Remove(SelectorKey key)
    {
        _read.Clear(key.Fd);
        _write.Clear(key.Fd);
        while (_maxFd >= 0 && Find(_maxFd) is null)
        {
            _maxFd--;
        }
    }

    private protected override bool Wait(int timeoutMs)
    {
        // select() overwrites its sets, so it gets copies of the interest sets.
        FdSet read = _read;
        FdSet write = _write;
        int n = FdSet.Select(_maxFd + 1, ref read, ref write, timeoutMs);
        if (n < 0)
        {
            int errno = -n;
            if (errno == Errnos.EINTR)
            {
                return false;
            }
            if (errno == Errnos.EBADF)
            {
                ReportClosed();
                return true;
            }
            throw new ErrnoException("select", errno, $"descriptors up to {_maxFd}");
        }
        int words = (_maxFd >> 6) + 1;
        for (int w = 0; w < words && n > 0; w++)
        {
            ulong bits = read.Word(w) | write.Word(w);
            while (bits != 0)
            {
                int fd = (w << 6) + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                SelectorEvents events = SelectorEvents.None;
                if (read.IsSet(fd))
                {
                    events |= SelectorEvents.Read;
                    n--;
                }
                if (write.IsSet(fd))
                {
                    events |= SelectorEvents.Write;
                    n--;
                }
                if (Find(fd) is { } key)
                {
                    AddReady(key, events);
                }
            }
        }
        return true;
    }

    /// <summary>select fails as a whole with EBADF; find and report the closed descriptors instead of hiding them.</summary>
    private void ReportClosed()
    {
        for (int fd = 0; fd <= _maxFd; fd++)
        {
            if (Find(fd) is { } key && !Descriptors.IsOpen(fd))
            {
                AddReady(key, SelectorEvents.Error | key.Events);
            }
        }
    }

    private void Set(SelectorKey key)
    {
        if ((key.Events & SelectorEvents.Read) != 0)
        {
            _read.Set(key.Fd);
        }
        else
        {
            _read.Clear(key.Fd);
        }
        if ((key.Events & SelectorEvents.Write) != 0)
        {
            _write.Set(key.Fd);
        }
        else
        {
            _write.Clear(key.Fd);
        }
    }
}
