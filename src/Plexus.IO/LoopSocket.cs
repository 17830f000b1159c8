using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Plexus.Native;

namespace Plexus.IO;

/// <summary>
/// A non-blocking socket on a raw descriptor (<c>socket(SOCK_NONBLOCK | SOCK_CLOEXEC)</c>): TCP over
/// IPv4 or IPv6, Unix domain streams, or UDP,
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

    private LoopSocket(int fd, AddressFamily family, SocketType type)
    {
        _handle = new SafeFd(fd);
        AddressFamily = family;
        SocketType = type;
    }

    /// <summary>The socket's family: <see cref="AddressFamily.InterNetwork"/>, <see cref="AddressFamily.InterNetworkV6"/> or <see cref="AddressFamily.Unix"/>.</summary>
    public AddressFamily AddressFamily { get; }

    /// <summary><see cref="SocketType.Stream"/> or <see cref="SocketType.Dgram"/>.</summary>
    public SocketType SocketType { get; }

    /// <summary>The owned descriptor.</summary>
    public SafeHandle Handle => _handle;

    /// <summary>The descriptor number.</summary>
    public int Fd => _handle.Fd;

    /// <summary>True after <see cref="Dispose"/>.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>The local IP address and port (after bind, listen or connect) of an IPv4 or IPv6 socket; see <see cref="LocalAddress"/> for any family.</summary>
    public IPEndPoint LocalEndPoint => LocalAddress as IPEndPoint
        ?? throw new InvalidOperationException($"{Describe()} is a {AddressFamily} socket and has no IP endpoint; use LocalAddress");

    /// <summary>The local address of any family (<c>getsockname</c>): an <see cref="IPEndPoint"/> or a <see cref="UnixDomainSocketEndPoint"/>.</summary>
    public EndPoint LocalAddress
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return SocketAddresses.Read(AddressFamily, Sockets.LocalAddress, "getsockname", this);
        }
    }

    /// <summary>The connected peer's address (<c>getpeername</c>).</summary>
    public EndPoint RemoteAddress
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return SocketAddresses.Read(AddressFamily, Sockets.PeerAddress, "getpeername", this);
        }
    }

    /// <summary>Disables Nagle's algorithm (<c>TCP_NODELAY</c>), as request/response protocols want.</summary>
    public bool NoDelay
    {
        get => GetOption(SocketOption.NoDelay) != 0;
        set => SetOption(SocketOption.NoDelay, value ? 1 : 0);
    }

    /// <summary>
    /// Lets several sockets bind the same address and port (<c>SO_REUSEPORT</c>); set it before
    /// <see cref="Bind"/>. The kernel then spreads incoming connections across the listeners.
    /// </summary>
    public bool ReusePort
    {
        get => GetOption(SocketOption.ReusePort) != 0;
        set => SetOption(SocketOption.ReusePort, value ? 1 : 0);
    }

    /// <summary>The kernel send buffer size (<c>SO_SNDBUF</c>; Linux doubles what is set).</summary>
    public int SendBufferSize
    {
        get => GetOption(SocketOption.SendBuffer);
        set => SetOption(SocketOption.SendBuffer, value);
    }

    /// <summary>The kernel receive buffer size (<c>SO_RCVBUF</c>; Linux doubles what is set).</summary>
    public int ReceiveBufferSize
    {
        get => GetOption(SocketOption.ReceiveBuffer);
        set => SetOption(SocketOption.ReceiveBuffer, value);
    }

    internal SocketOperation ReadOperation => _readOp ??= new SocketOperation(this);

    internal SocketOperation WriteOperation => _writeOp ??= new SocketOperation(this);

    /// <summary>The loop whose selector watches this descriptor, once an operation had to wait.</summary>
    internal EventLoop? Loop { get; set; }

    internal bool ReadWatched { get; set; }

    /// <summary>A receive into a non-empty buffer returned 0: on a stream socket, the peer closed its side.</summary>
    internal bool ReceivedEnd { get; set; }

    internal bool WriteWatched { get; set; }

    /// <summary>Creates an unconnected non-blocking TCP socket of <paramref name="family"/> (IPv4 unless said otherwise).</summary>
    public static LoopSocket CreateTcp(AddressFamily family = AddressFamily.InterNetwork)
    {
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"TCP runs over InterNetwork or InterNetworkV6, not {family}; use CreateUnix for Unix domain sockets", nameof(family));
        }
        return Open(family, SocketType.Stream);
    }

    /// <summary>Creates an unconnected non-blocking Unix domain stream socket.</summary>
    public static LoopSocket CreateUnix() => Open(AddressFamily.Unix, SocketType.Stream);

    /// <summary>Creates a non-blocking UDP socket of <paramref name="family"/>.</summary>
    public static LoopSocket CreateUdp(AddressFamily family = AddressFamily.InterNetwork)
    {
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"UDP runs over InterNetwork or InterNetworkV6, not {family}", nameof(family));
        }
        return Open(family, SocketType.Dgram);
    }

    /// <summary>Creates a stream socket that can connect to or listen on <paramref name="endPoint"/> (TCP for IP endpoints, Unix for Unix endpoints).</summary>
    public static LoopSocket Create(EndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return endPoint.AddressFamily == AddressFamily.Unix ? CreateUnix() : CreateTcp(endPoint.AddressFamily);
    }

    /// <summary>
    /// Creates a listening stream socket bound to <paramref name="endPoint"/>: an <see cref="IPEndPoint"/>
    /// (port 0 picks a free port; <c>SO_REUSEADDR</c> is set) or a <see cref="UnixDomainSocketEndPoint"/>
    /// (the path must not exist yet).
    /// </summary>
    public static LoopSocket Listen(EndPoint endPoint, int backlog = 4096)
    {
        LoopSocket socket = Create(endPoint);
        try
        {
            if (socket.AddressFamily != AddressFamily.Unix)
            {
                socket.SetOption(SocketOption.ReuseAddress, 1);
            }
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

    /// <summary>Binds to a local address of the socket's family.</summary>
    public void Bind(EndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        SocketAddress address = ToSocketAddress(endPoint);
        int result = Sockets.Bind(Fd, address.Buffer.Span[..address.Size]);
        if (result < 0)
        {
            throw Error("bind", -result, endPoint.ToString());
        }
    }

    /// <summary>Sets a datagram socket's default destination and only accepts datagrams from it (UDP <c>connect</c> never waits).</summary>
    internal void ConnectDatagram(EndPoint remote)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        SocketAddress address = ToSocketAddress(remote);
        int result = Sockets.Connect(Fd, address.Buffer.Span[..address.Size]);
        if (result < 0)
        {
            throw Error("connect", -result, remote.ToString());
        }
    }

    /// <summary>Starts listening; <paramref name="backlog"/> must cover a burst of connects (the kernel caps it at <c>somaxconn</c>).</summary>
    public void Listen(int backlog = 4096)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        Sockets.Listen(Fd, backlog);
    }

    /// <summary>Makes <see cref="Dispose"/> reset the connection (<c>SO_LINGER</c> on with timeout 0): the peer gets <c>ECONNRESET</c>.</summary>
    public void SetResetOnClose()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        Sockets.SetResetOnClose(Fd);
    }

    /// <summary>Half-closes the sending side (<c>shutdown(SHUT_WR)</c>): the peer reads end of stream.</summary>
    public void ShutdownSend()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        int result = Sockets.Shutdown(Fd, SocketShutdown.Send);
        if (result < 0)
        {
            throw new ErrnoException("shutdown(SHUT_WR)", -result, Describe());
        }
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

    /// <summary>
    /// One non-blocking <c>send</c> of as much of <paramref name="data"/> as the kernel takes now;
    /// 0 when it takes nothing (<c>EAGAIN</c>). Errors throw as <see cref="EventLoop.SendAllAsync"/>'s do.
    /// </summary>
    internal int TrySend(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        while (true)
        {
            int n = Sockets.Send(Fd, data);
            if (n >= 0)
            {
                return n;
            }
            int errno = -n;
            if (errno == Errnos.EINTR)
            {
                continue;
            }
            return errno == Errnos.EAGAIN ? 0 : throw Error("send", errno);
        }
    }

    /// <summary>The loop is closing: operations still waiting fail with <see cref="OperationCanceledException"/>.</summary>
    internal void CancelForClose()
    {
        _readOp?.CancelForClose();
        _writeOp?.CancelForClose();
    }

    internal bool HasWaitingOperation
        => _readOp is { Kind: not SocketOperation.OpKind.None } || _writeOp is { Kind: not SocketOperation.OpKind.None };

    internal string Describe() => IsDisposed ? "socket (disposed)" : $"socket fd {_handle.Fd}";

    internal LoopSocket Accepted(int fd) => new(fd, AddressFamily, SocketType);

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

    /// <summary>The native <c>sockaddr</c> for <paramref name="endPoint"/>, which must be of this socket's family.</summary>
    internal SocketAddress ToSocketAddress(EndPoint endPoint)
    {
        if (endPoint.AddressFamily != AddressFamily)
        {
            throw new ArgumentException($"{endPoint} is {endPoint.AddressFamily} but {Describe()} is {AddressFamily}; create the socket for the endpoint's family", nameof(endPoint));
        }
        return endPoint.Serialize();
    }

    private static LoopSocket Open(AddressFamily family, SocketType type)
        => new(Sockets.Open(family, type, nonBlocking: true), family, type);

    private void SetOption(SocketOption option, int value)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        Sockets.SetOption(Fd, option, value);
    }

    private int GetOption(SocketOption option)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return Sockets.GetOption(Fd, option);
    }
}
