using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Plexus.Native;

namespace Plexus.IO;

/// <summary>
/// A non-blocking TCP/IPv4 socket on a raw descriptor (<c>socket(SOCK_NONBLOCK | SOCK_CLOEXEC)</c>),
/// driven by an <see cref="EventLoop"/>'s selector through <see cref="EventLoop.AcceptAsync"/>,
/// <see cref="EventLoop.ReceiveAsync"/>, <see cref="EventLoop.SendAllAsync"/> and
/// <see cref="EventLoop.ConnectAsync"/> (Python's <c>loop.sock_accept/sock_recv/sock_sendall/sock_connect</c>).
/// It does not use <see cref="Socket"/>'s async machinery, which has its own epoll thread.
/// </summary>
/// <remarks>Dispose it on the loop's thread while the loop runs, so the loop forgets the descriptor before it closes.</remarks>
public sealed unsafe class LoopSocket : IDisposable
{
    private readonly SafeFd _handle;
    private SocketOperation? _readOp;
    private SocketOperation? _writeOp;

    private LoopSocket(int fd) => _handle = new SafeFd(fd);

    /// <summary>The owned descriptor.</summary>
    public SafeHandle Handle => _handle;

    /// <summary>The descriptor number.</summary>
    public int Fd => _handle.Fd;

    /// <summary>True after <see cref="Dispose"/>.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>The local address and port (after bind, listen or connect).</summary>
    public IPEndPoint LocalEndPoint
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            LibC.SockAddrIn addr;
            int len = sizeof(LibC.SockAddrIn);
            LibC.Check(LibC.getsockname(Fd, &addr, &len), "getsockname", Describe());
            return new IPEndPoint(new IPAddress(addr.AddressBigEndian), BinaryPrimitives.ReverseEndianness(addr.PortBigEndian));
        }
    }

    /// <summary>Disables Nagle's algorithm (<c>TCP_NODELAY</c>), as request/response protocols want.</summary>
    public bool NoDelay
    {
        get => GetOption(LibC.IPPROTO_TCP, LibC.TCP_NODELAY, "TCP_NODELAY") != 0;
        set => SetOption(LibC.IPPROTO_TCP, LibC.TCP_NODELAY, value ? 1 : 0, "TCP_NODELAY");
    }

    /// <summary>The kernel send buffer size (<c>SO_SNDBUF</c>; Linux doubles what is set).</summary>
    public int SendBufferSize
    {
        get => GetOption(LibC.SOL_SOCKET, LibC.SO_SNDBUF, "SO_SNDBUF");
        set => SetOption(LibC.SOL_SOCKET, LibC.SO_SNDBUF, value, "SO_SNDBUF");
    }

    /// <summary>The kernel receive buffer size (<c>SO_RCVBUF</c>; Linux doubles what is set).</summary>
    public int ReceiveBufferSize
    {
        get => GetOption(LibC.SOL_SOCKET, LibC.SO_RCVBUF, "SO_RCVBUF");
        set => SetOption(LibC.SOL_SOCKET, LibC.SO_RCVBUF, value, "SO_RCVBUF");
    }

    internal SocketOperation ReadOperation => _readOp ??= new SocketOperation(this);

    internal SocketOperation WriteOperation => _writeOp ??= new SocketOperation(this);

    /// <summary>The loop whose selector watches this descriptor, once an operation had to wait.</summary>
    internal EventLoop? Loop { get; set; }

    internal bool ReadWatched { get; set; }

    internal bool WriteWatched { get; set; }

    /// <summary>Creates an unconnected non-blocking TCP/IPv4 socket.</summary>
    public static LoopSocket CreateTcp()
    {
        int fd = LibC.Check(LibC.socket(LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0), "socket(AF_INET, SOCK_STREAM)");
        return new LoopSocket(fd);
    }

    /// <summary>Creates a listening socket bound to <paramref name="endPoint"/> (port 0 picks a free port) with <c>SO_REUSEADDR</c>.</summary>
    public static LoopSocket Listen(IPEndPoint endPoint, int backlog = 4096)
    {
        LoopSocket socket = CreateTcp();
        try
        {
            socket.SetOption(LibC.SOL_SOCKET, LibC.SO_REUSEADDR, 1, "SO_REUSEADDR");
            socket.Bind(endPoint);
            socket.Listen(backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Binds to a local IPv4 address and port.</summary>
    public void Bind(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        LibC.SockAddrIn addr = ToSockAddr(endPoint);
        if (LibC.bind(Fd, &addr, sizeof(LibC.SockAddrIn)) == -1)
        {
            throw Error("bind", Marshal.GetLastPInvokeError(), endPoint.ToString());
        }
    }

    /// <summary>Starts listening; <paramref name="backlog"/> must cover a burst of connects (the kernel caps it at <c>somaxconn</c>).</summary>
    public void Listen(int backlog = 4096)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        LibC.Check(LibC.listen(Fd, backlog), "listen", Describe());
    }

    /// <summary>Makes <see cref="Dispose"/> reset the connection (<c>SO_LINGER</c> on with timeout 0): the peer gets <c>ECONNRESET</c>.</summary>
    public void SetResetOnClose()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        LibC.Linger linger = new() { OnOff = 1, Seconds = 0 };
        LibC.Check(LibC.setsockopt(Fd, LibC.SOL_SOCKET, LibC.SO_LINGER, &linger, sizeof(LibC.Linger)), "setsockopt(SO_LINGER)", Describe());
    }

    /// <summary>Half-closes the sending side (<c>shutdown(SHUT_WR)</c>): the peer reads end of stream.</summary>
    public void ShutdownSend()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        LibC.Check(LibC.shutdown(Fd, LibC.SHUT_WR), "shutdown(SHUT_WR)", Describe());
    }

    /// <summary>Stops the loop watching the descriptor, fails pending operations with <see cref="ObjectDisposedException"/>, and closes it.</summary>
    public void Dispose()
    {
        if (IsDisposed)
        {
            return;
        }
        if (Loop is { IsRunning: true, IsOnLoopThread: false })
        {
            throw new InvalidOperationException(
                $"{Describe()} is watched by a running event loop; dispose it on the loop's thread (e.g. with CallSoonThreadSafe)");
        }
        IsDisposed = true;
        Loop?.Forget(Fd);
        _readOp?.Abort();
        _writeOp?.Abort();
        _handle.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => Describe();

    /// <summary>The loop is closing: operations still waiting fail with <see cref="OperationCanceledException"/>.</summary>
    internal void CancelForClose()
    {
        _readOp?.CancelForClose();
        _writeOp?.CancelForClose();
    }

    internal bool HasWaitingOperation
        => _readOp is { Kind: not SocketOperation.OpKind.None } || _writeOp is { Kind: not SocketOperation.OpKind.None };

    internal string Describe() => IsDisposed ? "socket (disposed)" : $"socket fd {_handle.Fd}";

    internal static LoopSocket FromAccepted(int fd) => new(fd);

    /// <summary>A network errno becomes the <see cref="SocketException"/> .NET code expects; anything else an <see cref="ErrnoException"/>.</summary>
    internal Exception Error(string call, int errno, string? detail = null)
    {
        SocketError? code = errno switch
        {
            Errnos.ECONNRESET => SocketError.ConnectionReset,
            Errnos.ECONNREFUSED => SocketError.ConnectionRefused,
            Errnos.ETIMEDOUT => SocketError.TimedOut,
            Errnos.EPIPE => SocketError.Shutdown,
            Errnos.EADDRINUSE => SocketError.AddressAlreadyInUse,
            103 => SocketError.ConnectionAborted,
            113 => SocketError.HostUnreachable,
            101 => SocketError.NetworkUnreachable,
            _ => null,
        };
        var inner = new ErrnoException(call, errno, detail is null ? Describe() : $"{Describe()} ({detail})");
        return code is { } c ? new SocketException((int)c, inner.Message) : inner;
    }

    internal static LibC.SockAddrIn ToSockAddr(IPEndPoint endPoint)
    {
        if (endPoint.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new NotSupportedException($"LoopSocket speaks IPv4 only; {endPoint} is {endPoint.AddressFamily}");
        }
        uint address = 0;
        endPoint.Address.TryWriteBytes(new Span<byte>(&address, 4), out _);
        return new LibC.SockAddrIn
        {
            Family = LibC.AF_INET,
            PortBigEndian = BinaryPrimitives.ReverseEndianness((ushort)endPoint.Port),
            AddressBigEndian = address,
        };
    }

    private void SetOption(int level, int name, int value, string what)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        LibC.Check(LibC.setsockopt(Fd, level, name, &value, sizeof(int)), $"setsockopt({what})", Describe());
    }

    private int GetOption(int level, int name, string what)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        int value = 0;
        int len = sizeof(int);
        LibC.Check(LibC.getsockopt(Fd, level, name, &value, &len), $"getsockopt({what})", Describe());
        return value;
    }
}
