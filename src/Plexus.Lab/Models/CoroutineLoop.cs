using System.Threading.Tasks.Sources;
using Plexus.Lab.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// A minimal coroutine reactor for the <c>coroutines</c> model: one epoll set, each socket
/// registered once edge-triggered, and awaitable socket operations whose continuations run inline
/// on the loop thread, in order. Nothing is allocated per operation: each <see cref="LoopSocket"/>
/// is its own reusable <see cref="IValueTaskSource{TResult}"/>.
/// </summary>
/// <remarks>
/// Plexus.IO's <c>EventLoop</c> is the general version (timers, call-soon, thread-safe wake-ups);
/// the lab keeps this small one so its models stand on their own. Results are plain integers: a
/// count (or a descriptor, for accept), 0 for EOF, or a negated errno.
/// </remarks>
internal sealed unsafe class CoroutineLoop : IDisposable
{
    private readonly int _epfd = Sys.Check(Sys.EpollCreate1(0x80000), "epoll_create1");
    private LoopSocket?[] _sockets = new LoopSocket?[1024];

    /// <summary>Watches <paramref name="fd"/> (non-blocking) for the life of the returned socket.</summary>
    public LoopSocket Register(int fd)
    {
        if (fd >= _sockets.Length)
        {
            Array.Resize(ref _sockets, Math.Max(fd + 1, _sockets.Length * 2));
        }
        var socket = new LoopSocket(this, fd);
        _sockets[fd] = socket;
        Sys.EpollEvent ev = new() { Events = Sys.EPOLLIN | Sys.EPOLLOUT | Sys.EPOLLRDHUP | Sys.EPOLLET, Data = (ulong)fd };
        Sys.Check(Sys.EpollCtl(_epfd, Sys.EPOLL_CTL_ADD, fd, &ev), "epoll_ctl(ADD)");
        return socket;
    }

    /// <summary>Dispatches readiness to waiting coroutines until <paramref name="stop"/> is cancelled.</summary>
    public void Run(CancellationToken stop)
    {
        Sys.EpollEvent* events = stackalloc Sys.EpollEvent[512];
        while (!stop.IsCancellationRequested)
        {
            int count = Sys.EpollWait(_epfd, events, 512, 200);
            for (int i = 0; i < count; i++)
            {
                _sockets[(int)events[i].Data]?.OnReady();
            }
        }
    }

    internal void Forget(int fd) => _sockets[fd] = null;

    /// <summary>Closes every socket still open, then the epoll set.</summary>
    public void Dispose()
    {
        foreach (LoopSocket? s in _sockets)
        {
            s?.Close();
        }
        Sys.Close(_epfd);
    }
}

/// <summary>A descriptor on a <see cref="CoroutineLoop"/> with one awaitable operation at a time.</summary>
internal sealed unsafe class LoopSocket(CoroutineLoop loop, int fd) : IValueTaskSource<int>
{
    private enum Operation { None, Read, Write, Accept }

    private ManualResetValueTaskSourceCore<int> _core; // continuations run inline on the loop thread
    private Operation _operation;
    private Memory<byte> _buffer;

    public int Fd { get; private set; } = fd;

    /// <summary>Reads into <paramref name="buffer"/>: bytes read, 0 at EOF, or a negated errno.</summary>
    public ValueTask<int> ReadAsync(Memory<byte> buffer) => Begin(Operation.Read, buffer);

    /// <summary>Writes some of <paramref name="buffer"/>: bytes written (maybe fewer), or a negated errno.</summary>
    public ValueTask<int> WriteAsync(Memory<byte> buffer) => Begin(Operation.Write, buffer);

    /// <summary>Accepts one connection: its non-blocking descriptor, or a negated errno.</summary>
    public ValueTask<int> AcceptAsync() => Begin(Operation.Accept, default);

    public void Close()
    {
        if (Fd >= 0)
        {
            loop.Forget(Fd);
            Sys.Close(Fd);
            Fd = -1;
        }
    }

    private ValueTask<int> Begin(Operation operation, Memory<byte> buffer)
    {
        // Edge-triggered: an edge may have passed while nobody waited, so try the call first.
        int result = Attempt(operation, buffer);
        if (!MustWait(operation, result))
        {
            return new ValueTask<int>(result);
        }
        _operation = operation;
        _buffer = buffer;
        _core.Reset();
        return new ValueTask<int>(this, _core.Version);
    }

    internal void OnReady()
    {
        if (_operation == Operation.None)
        {
            return;
        }
        int result = Attempt(_operation, _buffer);
        if (MustWait(_operation, result))
        {
            return;
        }
        _operation = Operation.None;
        _buffer = default;
        _core.SetResult(result);
    }

    /// <summary>
    /// Whether to wait for the next readiness edge: on EAGAIN, and for accept also when descriptors
    /// ran out (retrying at once would spin the loop thread and starve every other coroutine).
    /// </summary>
    private static bool MustWait(Operation operation, int result)
    {
        if (result == -Sys.EAGAIN)
        {
            return true;
        }
        if (operation == Operation.Accept && result is -Sys.EMFILE or -23)
        {
            Accepting.OutOfDescriptors();
            return true;
        }
        return false;
    }

    private int Attempt(Operation operation, Memory<byte> buffer)
    {
        if (Fd < 0)
        {
            return -Sys.EPIPE;
        }
        while (true)
        {
            nint n;
            switch (operation)
            {
                case Operation.Accept:
                    n = Sys.Accept4(Fd, null, null, Sys.SOCK_NONBLOCK | Sys.SOCK_CLOEXEC);
                    break;
                case Operation.Read:
                    fixed (byte* p = buffer.Span)
                    {
                        n = Sys.Read(Fd, p, buffer.Length);
                    }
                    break;
                default:
                    fixed (byte* p = buffer.Span)
                    {
                        n = Sys.Write(Fd, p, buffer.Length);
                    }
                    break;
            }
            if (n >= 0)
            {
                return (int)n;
            }
            int errno = Sys.Errno;
            if (errno != Sys.EINTR)
            {
                return -errno;
            }
        }
    }

    int IValueTaskSource<int>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
