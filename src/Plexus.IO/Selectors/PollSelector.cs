using Plexus.Native;

namespace Plexus.IO.Selectors;

/// <summary>
/// <c>poll(2)</c> (Python's <c>selectors.PollSelector</c>): no descriptor-number limit, but every
/// wait passes the whole interest array to the kernel, so its cost grows with the registrations.
/// Level-triggered. A registered descriptor that was closed is reported as <see cref="SelectorEvents.Error"/> (<c>POLLNVAL</c>).
/// </summary>
public sealed unsafe class PollSelector : Selector
{
    private PollFd[] _fds = new PollFd[16];
    private SelectorKey[] _keys = new SelectorKey[16];
    private int _count;

    private protected override void Add(SelectorKey key)
    {
        if (_count == _fds.Length)
        {
            Array.Resize(ref _fds, _count * 2);
            Array.Resize(ref _keys, _count * 2);
        }
        _fds[_count] = new PollFd { Fd = key.Fd, Events = Mask(key.Events) };
        _keys[_count] = key;
        key.Slot = _count++;
    }

    private protected override void Change(SelectorKey key) => _fds[key.Slot].Events = Mask(key.Events);

    private protected override void Remove(SelectorKey key)
    {
        // Swap the last entry into the hole so the array stays dense.
        int slot = key.Slot;
        int last = --_count;
        if (slot != last)
        {
            _fds[slot] = _fds[last];
            _keys[slot] = _keys[last];
            _keys[slot].Slot = slot;
        }
        _keys[last] = null!;
        key.Slot = -1;
    }

    private protected override bool Wait(int timeoutMs)
    {
        int n = Poll.Wait(_fds.AsSpan(0, _count), timeoutMs);
        if (n < 0)
        {
            int errno = -n;
            return errno == Errnos.EINTR ? false : throw new ErrnoException("poll", errno, $"{_count} descriptors");
        }
        for (int i = 0; i < _count && n > 0; i++)
        {
            short revents = _fds[i].REvents;
            if (revents == 0)
            {
                continue;
            }
            n--;
            SelectorKey key = _keys[i];
            SelectorEvents events = SelectorEvents.None;
            if ((revents & Poll.In) != 0)
            {
                events |= SelectorEvents.Read;
            }
            if ((revents & Poll.Out) != 0)
            {
                events |= SelectorEvents.Write;
            }
            if ((revents & (Poll.Error | Poll.Invalid)) != 0)
            {
                events |= SelectorEvents.Error;
            }
            if ((revents & Poll.HangUp) != 0)
            {
                events |= SelectorEvents.HangUp;
            }
            if ((revents & (Poll.Error | Poll.HangUp | Poll.Invalid)) != 0)
            {
                events |= key.Events;
            }
            AddReady(key, events);
        }
        return true;
    }

    private static short Mask(SelectorEvents events)
    {
        short mask = 0;
        if ((events & SelectorEvents.Read) != 0)
        {
            mask |= Poll.In;
        }
        if ((events & SelectorEvents.Write) != 0)
        {
            mask |= Poll.Out;
        }
        return mask;
    }
}
