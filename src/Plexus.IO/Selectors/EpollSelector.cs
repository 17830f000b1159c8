using System.Runtime.InteropServices;
using Plexus.Native;

namespace Plexus.IO.Selectors;

/// <summary>How an <see cref="EpollSelector"/> reports readiness.</summary>
public enum EpollTrigger
{
    /// <summary>Level-triggered (the default, like select and poll): a descriptor is reported on every call while it stays ready.</summary>
    Level,

    /// <summary>
    /// Edge-triggered (<c>EPOLLET</c>): reported once when it becomes ready, then not again until new
    /// data or space arrives. The caller must read or write until <c>EAGAIN</c>, or it waits forever.
    /// </summary>
    Edge,

    /// <summary>One-shot (<c>EPOLLONESHOT</c>): reported once, then disarmed until <see cref="EpollSelector.Rearm"/> or a modify.</summary>
    OneShot,
}

/// <summary>
/// Linux <c>epoll</c> (Python's <c>selectors.EpollSelector</c>): the kernel keeps the interest list,
/// so a wait costs the number of ready descriptors, not the number registered.
/// </summary>
/// <remarks>
/// A descriptor that is closed while registered leaves the kernel's interest list silently (epoll
/// tracks open files, not numbers), so unregister before closing; <see cref="Selector.Unregister(int)"/>
/// still works after the close.
/// </remarks>
public sealed unsafe class EpollSelector : Selector
{
    private const int MaxBatch = 4096;
    private readonly SafeFd _epfd;
    private EpollEvent* _events;
    private int _capacity;

    /// <summary>Creates an epoll instance reporting readiness as <paramref name="trigger"/> says.</summary>
    public EpollSelector(EpollTrigger trigger = EpollTrigger.Level)
    {
        Trigger = trigger;
        _epfd = new SafeFd(Epoll.Create());
        _capacity = 64;
        _events = (EpollEvent*)NativeMemory.Alloc((nuint)_capacity, (nuint)sizeof(EpollEvent));
    }

    /// <summary>The trigger mode of every registration.</summary>
    public EpollTrigger Trigger { get; }

    /// <summary>The epoll descriptor (an epoll instance is itself pollable).</summary>
    public int Fd => _epfd.Fd;

    /// <summary>Arms a one-shot registration again after it was reported.</summary>
    public void Rearm(SelectorKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        ObjectDisposedException.ThrowIf(IsClosed, this);
        if (!key.IsRegistered)
        {
            throw new InvalidOperationException($"{key} is not registered; register it again instead");
        }
        Epoll.Modify(_epfd.Fd, key.Fd, Mask(key.Events), (ulong)key.Fd);
    }

    private protected override void Add(SelectorKey key)
    {
        Epoll.Add(_epfd.Fd, key.Fd, Mask(key.Events), (ulong)key.Fd);
        if (_capacity < Math.Min(Count + 1, MaxBatch))
        {
            // Grown at registration, never in Select, so a wait allocates nothing.
            int capacity = Math.Min(MaxBatch, Math.Max(Count + 1, _capacity * 2));
            _events = (EpollEvent*)NativeMemory.Realloc(_events, (nuint)(capacity * sizeof(EpollEvent)));
            _capacity = capacity;
        }
    }

    private protected override void Change(SelectorKey key) => Epoll.Modify(_epfd.Fd, key.Fd, Mask(key.Events), (ulong)key.Fd);

    private protected override void Remove(SelectorKey key)
    {
        int result = Epoll.TryRemove(_epfd.Fd, key.Fd);
        if (result < 0)
        {
            int errno = -result;
            // Closed first (EBADF), or closed and the number reused (ENOENT): the kernel already forgot it.
            if (errno is not (Errnos.EBADF or Errnos.ENOENT))
            {
                throw new ErrnoException("epoll_ctl(EPOLL_CTL_DEL)", errno, $"descriptor {key.Fd}");
            }
        }
    }

    private protected override bool Wait(int timeoutMs)
    {
        int n = Epoll.Wait(_epfd.Fd, new Span<EpollEvent>(_events, _capacity), timeoutMs);
        if (n < 0)
        {
            int errno = -n;
            return errno == Errnos.EINTR ? false : throw new ErrnoException("epoll_wait", errno, $"epoll descriptor {_epfd.Fd}");
        }
        for (int i = 0; i < n; i++)
        {
            uint mask = _events[i].Events;
            SelectorKey? key = Find((int)_events[i].Data);
            if (key is null)
            {
                continue;
            }
            SelectorEvents events = SelectorEvents.None;
            if ((mask & Epoll.In) != 0)
            {
                events |= SelectorEvents.Read;
            }
            if ((mask & Epoll.Out) != 0)
            {
                events |= SelectorEvents.Write;
            }
            if ((mask & Epoll.Error) != 0)
            {
                events |= SelectorEvents.Error;
            }
            if ((mask & Epoll.HangUp) != 0)
            {
                events |= SelectorEvents.HangUp;
            }
            if ((mask & (Epoll.Error | Epoll.HangUp)) != 0)
            {
                // As CPython does: an error or hang-up wakes the reader and the writer, whose next call reports it.
                events |= key.Events;
            }
            AddReady(key, events);
        }
        return true;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!IsClosed)
        {
            base.Dispose(disposing);
            _epfd.Dispose();
            NativeMemory.Free(_events);
            _events = null;
        }
    }

    private uint Mask(SelectorEvents events)
    {
        uint mask = 0;
        if ((events & SelectorEvents.Read) != 0)
        {
            mask |= Epoll.In;
        }
        if ((events & SelectorEvents.Write) != 0)
        {
            mask |= Epoll.Out;
        }
        return Trigger switch
        {
            EpollTrigger.Edge => mask | Epoll.EdgeTriggered,
            EpollTrigger.OneShot => mask | Epoll.OneShot,
            _ => mask,
        };
    }
}
