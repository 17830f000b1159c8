using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Plexus.Native;

namespace Plexus.IO.Selectors;

/// <summary>
/// Waits until registered descriptors are ready for I/O: the shape of Python's
/// <c>selectors.BaseSelector</c> (<c>register</c>, <c>modify</c>, <c>unregister</c>, <c>select</c>,
/// <c>get_key</c>, <c>close</c>). Backends: <see cref="SelectSelector"/>, <see cref="PollSelector"/>,
/// <see cref="EpollSelector"/>; <see cref="DefaultSelector.Create"/> picks the best one.
/// </summary>
/// <remarks>
/// Not thread-safe: one thread registers and selects. <see cref="Select"/> allocates nothing in
/// steady state: it returns a span over a buffer the selector reuses, valid until the next call.
/// </remarks>
public abstract class Selector : IDisposable
{
    private SelectorKey?[] _byFd = new SelectorKey?[64];
    private SelectorReady[] _ready = new SelectorReady[16];
    private int _readyCount;

    /// <summary>How many descriptors are registered.</summary>
    public int Count { get; private set; }

    /// <summary>True after <see cref="Close"/> or <see cref="Dispose()"/>.</summary>
    public bool IsClosed { get; private set; }

    /// <summary>Every registered key (allocates an enumerator; for inspection, not the hot path).</summary>
    public IEnumerable<SelectorKey> Keys => _byFd.Where(k => k is not null).Select(k => k!).ToArray();

    /// <summary>Registers a raw descriptor (Python's <c>register(fd, events, data)</c>).</summary>
    /// <exception cref="ArgumentException">The descriptor is already registered, or <paramref name="events"/> is not Read and/or Write.</exception>
    /// <exception cref="ErrnoException">The descriptor is not open (<c>EBADF</c>).</exception>
    public SelectorKey Register(int fd, SelectorEvents events, object? data = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        CheckOpen(fd);
        return RegisterCore(fd, fd, events, data);
    }

    /// <summary>Registers a socket; <see cref="SelectorKey.FileObject"/> is the socket.</summary>
    public SelectorKey Register(Socket socket, SelectorEvents events, object? data = null)
        => RegisterCore(FdOf(socket), socket, events, data);

    /// <summary>Registers an owned descriptor handle; <see cref="SelectorKey.FileObject"/> is the handle.</summary>
    public SelectorKey Register(SafeHandle handle, SelectorEvents events, object? data = null)
        => RegisterCore(FdOf(handle), handle, events, data);

    /// <summary>Changes the events a descriptor waits for, keeping its data (Python's <c>modify</c>).</summary>
    public SelectorKey Modify(int fd, SelectorEvents events) => ModifyCore(GetKey(fd), events, keepData: true, null);

    /// <summary>Changes the events and the data of a registered descriptor (Python's <c>modify(fileobj, events, data)</c>).</summary>
    public SelectorKey Modify(int fd, SelectorEvents events, object? data) => ModifyCore(GetKey(fd), events, keepData: false, data);

    /// <summary>Changes the events a socket waits for, keeping its data.</summary>
    public SelectorKey Modify(Socket socket, SelectorEvents events) => ModifyCore(GetKey(socket), events, keepData: true, null);

    /// <summary>Changes the events and the data of a registered socket.</summary>
    public SelectorKey Modify(Socket socket, SelectorEvents events, object? data) => ModifyCore(GetKey(socket), events, keepData: false, data);

    /// <summary>Changes the events a handle waits for, keeping its data.</summary>
    public SelectorKey Modify(SafeHandle handle, SelectorEvents events) => ModifyCore(GetKey(handle), events, keepData: true, null);

    /// <summary>Changes the events and the data of a registered handle.</summary>
    public SelectorKey Modify(SafeHandle handle, SelectorEvents events, object? data) => ModifyCore(GetKey(handle), events, keepData: false, data);

    /// <summary>Stops watching a descriptor and returns its key (Python's <c>unregister</c>). Works after the descriptor was closed.</summary>
    /// <exception cref="KeyNotFoundException">The descriptor is not registered.</exception>
    public SelectorKey Unregister(int fd) => UnregisterCore(GetKey(fd));

    /// <summary>Stops watching a socket and returns its key; works after the socket was disposed.</summary>
    public SelectorKey Unregister(Socket socket) => UnregisterCore(GetKey(socket));

    /// <summary>Stops watching a handle and returns its key; works after the handle was closed.</summary>
    public SelectorKey Unregister(SafeHandle handle) => UnregisterCore(GetKey(handle));

    /// <summary>Stops watching the descriptor of <paramref name="key"/>.</summary>
    public SelectorKey Unregister(SelectorKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return UnregisterCore(Find(key.Fd) == key ? key : throw NotRegistered(key.Fd.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>The key of a registered descriptor (Python's <c>get_key</c>).</summary>
    /// <exception cref="KeyNotFoundException">The descriptor is not registered.</exception>
    public SelectorKey GetKey(int fd) => Find(fd) ?? throw NotRegistered("descriptor " + fd.ToString(CultureInfo.InvariantCulture));

    /// <summary>The key of a registered socket (found by identity, so it works after the socket was disposed).</summary>
    public SelectorKey GetKey(Socket socket) => FindObject(socket) ?? throw NotRegistered("socket " + socket);

    /// <summary>The key of a registered handle (found by identity, so it works after the handle was closed).</summary>
    public SelectorKey GetKey(SafeHandle handle) => FindObject(handle) ?? throw NotRegistered("handle " + handle);

    /// <summary>The key of <paramref name="fd"/> if it is registered.</summary>
    public bool TryGetKey(int fd, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SelectorKey? key)
    {
        key = Find(fd);
        return key is not null;
    }

    /// <summary>
    /// Waits until at least one registered descriptor is ready or <paramref name="timeout"/> passes
    /// (null waits forever, zero or less polls) and returns what is ready. The span is reused by
    /// the next call. A signal interrupting the wait (<c>EINTR</c>) resumes it with the time left.
    /// </summary>
    public ReadOnlySpan<SelectorReady> Select(TimeSpan? timeout = null)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        int timeoutMs = timeout is not { } t ? -1
            : t <= TimeSpan.Zero ? 0
            : (int)Math.Min(int.MaxValue, Math.Ceiling(t.TotalMilliseconds));
        _readyCount = 0;
        long start = timeoutMs > 0 ? Stopwatch.GetTimestamp() : 0;
        int remaining = timeoutMs;
        while (!Wait(remaining))
        {
            if (timeoutMs > 0)
            {
                remaining = timeoutMs - (int)Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (remaining <= 0)
                {
                    remaining = 0;
                }
            }
        }
        return new ReadOnlySpan<SelectorReady>(_ready, 0, _readyCount);
    }

    /// <summary>Unregisters everything and releases the backend (Python's <c>close</c>).</summary>
    public void Close() => Dispose();

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the backend's resources.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (IsClosed)
        {
            return;
        }
        IsClosed = true;
        foreach (SelectorKey? key in _byFd)
        {
            if (key is not null)
            {
                key.IsRegistered = false;
            }
        }
        Array.Clear(_byFd);
        Count = 0;
    }

    /// <summary>Adds <paramref name="key"/> to the backend; throws if the kernel refuses.</summary>
    private protected abstract void Add(SelectorKey key);

    /// <summary>Tells the backend that <paramref name="key"/>'s events changed.</summary>
    private protected abstract void Change(SelectorKey key);

    /// <summary>Removes <paramref name="key"/> from the backend; tolerates an already closed descriptor.</summary>
    private protected abstract void Remove(SelectorKey key);

    /// <summary>Waits once, calling <see cref="AddReady"/> per ready key; false when interrupted (EINTR).</summary>
    private protected abstract bool Wait(int timeoutMs);

    /// <summary>Appends a result; the buffer always has room for one entry per registered key.</summary>
    private protected void AddReady(SelectorKey key, SelectorEvents events) => _ready[_readyCount++] = new SelectorReady(key, events);

    /// <summary>The registered key of <paramref name="fd"/>, or null.</summary>
    private protected SelectorKey? Find(int fd) => (uint)fd < (uint)_byFd.Length ? _byFd[fd] : null;

    /// <summary>Number of slots in the descriptor table (one past the largest descriptor it can hold).</summary>
    private protected int TableLength => _byFd.Length;

    /// <summary>Throws <see cref="ErrnoException"/> (EBADF) when <paramref name="fd"/> is not an open descriptor.</summary>
    private protected static void CheckOpen(int fd)
    {
        if (!Descriptors.IsOpen(fd))
        {
            throw new ErrnoException("fcntl(F_GETFD)", Errnos.EBADF, $"descriptor {fd} (it is not open, so it cannot be registered)");
        }
    }

    private SelectorKey RegisterCore(int fd, object fileObject, SelectorEvents events, object? data)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        CheckEvents(events);
        if (Find(fd) is { } existing)
        {
            throw new ArgumentException(
                $"descriptor {fd} is already registered ({existing}); use Modify to change its events or data, or Unregister it first",
                nameof(fileObject));
        }
        var key = new SelectorKey(fileObject, fd, events, data);
        if (fd >= _byFd.Length)
        {
            Array.Resize(ref _byFd, Math.Max(fd + 1, _byFd.Length * 2));
        }
        if (_ready.Length < Count + 1)
        {
            Array.Resize(ref _ready, Math.Max(Count + 1, _ready.Length * 2));
        }
        Add(key);
        _byFd[fd] = key;
        Count++;
        return key;
    }

    private SelectorKey ModifyCore(SelectorKey key, SelectorEvents events, bool keepData, object? data)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        CheckEvents(events);
        if (key.Events != events)
        {
            SelectorEvents old = key.Events;
            key.Events = events;
            try
            {
                Change(key);
            }
            catch
            {
                key.Events = old;
                throw;
            }
        }
        if (!keepData)
        {
            key.Data = data;
        }
        return key;
    }

    private SelectorKey UnregisterCore(SelectorKey key)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        _byFd[key.Fd] = null;
        Count--;
        key.IsRegistered = false;
        Remove(key);
        return key;
    }

    private SelectorKey? FindObject(object fileObject)
    {
        ArgumentNullException.ThrowIfNull(fileObject);
        foreach (SelectorKey? key in _byFd)
        {
            if (key is not null && ReferenceEquals(key.FileObject, fileObject))
            {
                return key;
            }
        }
        return null;
    }

    private static void CheckEvents(SelectorEvents events)
    {
        if (events == SelectorEvents.None || (events & ~(SelectorEvents.Read | SelectorEvents.Write)) != 0)
        {
            throw new ArgumentException(
                $"invalid events {events}: register Read, Write or both (Error and HangUp are always reported)", nameof(events));
        }
    }

    private static KeyNotFoundException NotRegistered(string what)
        => new($"{what} is not registered with this selector");

    private static int FdOf(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        return FdOf(socket.SafeHandle);
    }

    private static int FdOf(SafeHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ObjectDisposedException.ThrowIf(handle.IsClosed || handle.IsInvalid, handle);
        return (int)handle.DangerousGetHandle();
    }
}
