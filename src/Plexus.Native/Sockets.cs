using System.Net;
using System.Net.Sockets;

namespace Plexus.Native;

/// <summary>
/// IPv4 TCP sockets as raw descriptors, for code that owns readiness itself (a
/// <c>System.Net.Sockets.Socket</c> registers every descriptor with .NET's own epoll thread as well).
/// Every socket made here is close-on-exec. Set-up calls throw <see cref="ErrnoException"/>;
/// <see cref="Connect(int, System.Net.IPAddress, int)"/> and <see cref="Accept"/>, which loops call, return a negated errno instead.
/// </summary>
public static unsafe partial class Sockets
{
    /// <summary>Opens an IPv4 TCP socket and returns its descriptor.</summary>
    public static int OpenTcp(bool nonBlocking)
        => LibC.Check(LibC.socket(LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC | (nonBlocking ? LibC.SOCK_NONBLOCK : 0), 0), "socket(AF_INET, SOCK_STREAM)");

    /// <summary>Sets the integer option <paramref name="option"/> on <paramref name="fd"/>.</summary>
    public static void SetOption(int fd, SocketOption option, int value)
    {
        (int level, int name, string what) = Option(option);
        LibC.Check(LibC.setsockopt(fd, level, name, &value, sizeof(int)), $"setsockopt({what})", $"descriptor {fd}");
    }

    /// <summary>Reads the integer option <paramref name="option"/> of <paramref name="fd"/>.</summary>
    public static int GetOption(int fd, SocketOption option)
    {
        (int level, int name, string what) = Option(option);
        int value = 0;
        int length = sizeof(int);
        LibC.Check(LibC.getsockopt(fd, level, name, &value, &length), $"getsockopt({what})", $"descriptor {fd}");
        return value;
    }

    /// <summary>
    /// Makes a blocking receive on <paramref name="fd"/> give up after <paramref name="timeout"/> with
    /// <c>EAGAIN</c> (<c>SO_RCVTIMEO</c>; <see cref="TimeSpan.Zero"/> waits without limit again).
    /// </summary>
    public static void SetReceiveTimeout(int fd, TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        long micros = (long)timeout.TotalMicroseconds;
        LibC.TimeVal value = new() { Seconds = micros / 1_000_000, Microseconds = micros % 1_000_000 };
        LibC.Check(LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, &value, sizeof(LibC.TimeVal)), "setsockopt(SO_RCVTIMEO)", $"descriptor {fd}");
    }

    /// <summary>
    /// Makes closing <paramref name="fd"/> reset the connection (<c>SO_LINGER</c> on with timeout 0):
    /// the peer gets <c>ECONNRESET</c> instead of end of stream.
    /// </summary>
    public static void SetResetOnClose(int fd)
    {
        LibC.Linger linger = new() { OnOff = 1, Seconds = 0 };
        LibC.Check(LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_LINGER, &linger, sizeof(LibC.Linger)), "setsockopt(SO_LINGER)", $"descriptor {fd}");
    }

    /// <summary>
    /// The socket's pending error (<c>SO_ERROR</c>, cleared by reading it): 0 when a non-blocking
    /// connect succeeded, else its errno.
    /// </summary>
    public static int PendingError(int fd)
    {
        int error = 0;
        int length = sizeof(int);
        return LibC.getsockopt(fd, LibC.SOL_SOCKET, LibC.SO_ERROR, &error, &length) == -1
            ? System.Runtime.InteropServices.Marshal.GetLastPInvokeError()
            : error;
    }

    /// <summary>Binds <paramref name="fd"/> to <paramref name="address"/>:<paramref name="port"/> (an <see cref="ErrnoException"/> with <see cref="Errnos.EADDRINUSE"/> when taken).</summary>
    public static void Bind(int fd, IPAddress address, int port)
    {
        LibC.SockAddrIn sockaddr = ToSockAddr(address, port);
        LibC.Check(LibC.bind(fd, &sockaddr, sizeof(LibC.SockAddrIn)), "bind", $"{address}:{port}");
    }

    /// <summary>Makes a bound socket listen, with up to <paramref name="backlog"/> connections waiting to be accepted.</summary>
    public static void Listen(int fd, int backlog) => LibC.Check(LibC.listen(fd, backlog), "listen", $"descriptor {fd}");

    /// <summary>
    /// Connects <paramref name="fd"/> to <paramref name="address"/>:<paramref name="port"/>. Returns 0,
    /// or the negated errno: <c>-EINPROGRESS</c> for a non-blocking socket still connecting (wait until
    /// it is writable, then read <see cref="PendingError"/>).
    /// </summary>
    public static int Connect(int fd, IPAddress address, int port)
    {
        LibC.SockAddrIn sockaddr = ToSockAddr(address, port);
        return LibC.OrErrno(LibC.connect(fd, &sockaddr, sizeof(LibC.SockAddrIn)));
    }

    /// <summary>
    /// Accepts one connection as a close-on-exec descriptor (non-blocking when asked). Returns the
    /// descriptor, or the negated errno: <c>-EAGAIN</c> when none is waiting on a non-blocking
    /// listener, <c>-EMFILE</c>/<c>-ENFILE</c> when out of descriptors.
    /// </summary>
    public static int Accept(int listener, bool nonBlocking)
        => LibC.OrErrno(LibC.accept4(listener, null, null, LibC.SOCK_CLOEXEC | (nonBlocking ? LibC.SOCK_NONBLOCK : 0)));

    /// <summary>Shuts down one or both directions; wakes a thread blocked reading the socket. Returns 0 or the negated errno.</summary>
    public static int Shutdown(int fd, SocketShutdown how)
    {
        // SocketShutdown's values are SHUT_RD, SHUT_WR and SHUT_RDWR.
        return LibC.OrErrno(LibC.shutdown(fd, (int)how));
    }

    private static (int Level, int Name, string What) Option(SocketOption option) => option switch
    {
        SocketOption.ReuseAddress => (LibC.SOL_SOCKET, LibC.SO_REUSEADDR, "SO_REUSEADDR"),
        SocketOption.ReusePort => (LibC.SOL_SOCKET, LibC.SO_REUSEPORT, "SO_REUSEPORT"),
        SocketOption.NoDelay => (LibC.IPPROTO_TCP, LibC.TCP_NODELAY, "TCP_NODELAY"),
        SocketOption.SendBuffer => (LibC.SOL_SOCKET, LibC.SO_SNDBUF, "SO_SNDBUF"),
        SocketOption.ReceiveBuffer => (LibC.SOL_SOCKET, LibC.SO_RCVBUF, "SO_RCVBUF"),
        _ => throw new ArgumentOutOfRangeException(nameof(option), option, "not a SocketOption"),
    };

    private static LibC.SockAddrIn ToSockAddr(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)port, (uint)ushort.MaxValue, nameof(port));
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"'{address}' is not an IPv4 address; these sockets are IPv4 only", nameof(address));
        }
        uint bigEndian = 0;
        address.TryWriteBytes(new Span<byte>(&bigEndian, sizeof(uint)), out _);
        return new LibC.SockAddrIn
        {
            Family = LibC.AF_INET,
            PortBigEndian = (ushort)IPAddress.HostToNetworkOrder((short)port),
            AddressBigEndian = bigEndian,
        };
    }
}
