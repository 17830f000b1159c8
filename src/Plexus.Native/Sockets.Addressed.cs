using System.Net.Sockets;

namespace Plexus.Native;

/// <summary>
/// Sockets of any family (IPv4, IPv6, Unix) and type (stream, datagram), with addresses as the
/// kernel's raw <c>sockaddr</c> bytes (what <see cref="System.Net.SocketAddress.Buffer"/> holds), and the
/// per-call send and receive that loops run. Every call here returns a count or a negated errno
/// and never throws or allocates, except <see cref="Open"/>.
/// </summary>
public static unsafe partial class Sockets
{
    /// <summary>Room for any socket address (<c>sizeof(struct sockaddr_storage)</c>).</summary>
    public const int AddressCapacity = LibC.SockAddrStorageSize;

    /// <summary>
    /// Opens a close-on-exec socket of <paramref name="family"/> (<see cref="AddressFamily.InterNetwork"/>,
    /// <see cref="AddressFamily.InterNetworkV6"/> or <see cref="AddressFamily.Unix"/>) and
    /// <paramref name="type"/> (<see cref="SocketType.Stream"/> or <see cref="SocketType.Dgram"/>), and returns its descriptor.
    /// </summary>
    public static int Open(AddressFamily family, SocketType type, bool nonBlocking)
    {
        int domain = family switch
        {
            AddressFamily.InterNetwork => LibC.AF_INET,
            AddressFamily.InterNetworkV6 => LibC.AF_INET6,
            AddressFamily.Unix => LibC.AF_UNIX,
            _ => throw new ArgumentOutOfRangeException(nameof(family), family, "use InterNetwork, InterNetworkV6 or Unix"),
        };
        int kind = type switch
        {
            SocketType.Stream => LibC.SOCK_STREAM,
            SocketType.Dgram => LibC.SOCK_DGRAM,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "use Stream or Dgram"),
        };
        return LibC.Check(LibC.socket(domain, kind | LibC.SOCK_CLOEXEC | (nonBlocking ? LibC.SOCK_NONBLOCK : 0), 0), $"socket({family}, {type})");
    }

    /// <summary>Binds <paramref name="fd"/> to the raw <paramref name="address"/>. Returns 0 or the negated errno (<c>-EADDRINUSE</c> when taken).</summary>
    public static int Bind(int fd, ReadOnlySpan<byte> address)
    {
        fixed (byte* a = address)
        {
            return LibC.OrErrno(LibC.bind(fd, a, address.Length));
        }
    }

    /// <summary>
    /// Connects <paramref name="fd"/> to the raw <paramref name="address"/>. Returns 0 or the negated
    /// errno (<c>-EINPROGRESS</c> for a non-blocking stream socket still connecting).
    /// </summary>
    public static int Connect(int fd, ReadOnlySpan<byte> address)
    {
        fixed (byte* a = address)
        {
            return LibC.OrErrno(LibC.connect(fd, a, address.Length));
        }
    }

    /// <summary>One <c>recv</c>: the byte count (0 at end of stream) or the negated errno (<c>-EAGAIN</c> when nothing is waiting).</summary>
    public static int Receive(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return LibC.OrErrno(LibC.recv(fd, p, buffer.Length, 0));
        }
    }

    /// <summary>
    /// One <c>send</c> without <c>SIGPIPE</c>: how many bytes the kernel took (maybe fewer than all) or
    /// the negated errno (<c>-EAGAIN</c> when full, <c>-EPIPE</c> after the peer closed).
    /// </summary>
    public static int Send(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            return LibC.OrErrno(LibC.send(fd, p, data.Length, LibC.MSG_NOSIGNAL));
        }
    }

    /// <summary>
    /// One <c>recvfrom</c>: the datagram's byte count or the negated errno. The sender's raw address
    /// fills the start of <paramref name="address"/> (give it <see cref="AddressCapacity"/> bytes) and
    /// <paramref name="addressLength"/> says how much of it.
    /// </summary>
    public static int ReceiveFrom(int fd, Span<byte> buffer, Span<byte> address, out int addressLength)
    {
        int length = address.Length;
        int n;
        fixed (byte* p = buffer)
        fixed (byte* a = address)
        {
            n = LibC.OrErrno(LibC.recvfrom(fd, p, buffer.Length, 0, a, &length));
        }
        addressLength = n < 0 ? 0 : Math.Min(length, address.Length);
        return n;
    }

    /// <summary>One <c>sendto</c> of a datagram to the raw <paramref name="address"/> without <c>SIGPIPE</c>: the byte count or the negated errno.</summary>
    public static int SendTo(int fd, ReadOnlySpan<byte> data, ReadOnlySpan<byte> address)
    {
        fixed (byte* p = data)
        fixed (byte* a = address)
        {
            return LibC.OrErrno(LibC.sendto(fd, p, data.Length, LibC.MSG_NOSIGNAL, a, address.Length));
        }
    }

    /// <summary>The socket's own raw address (<c>getsockname</c>) into <paramref name="address"/>: its length, or the negated errno.</summary>
    public static int LocalAddress(int fd, Span<byte> address)
    {
        int length = address.Length;
        fixed (byte* a = address)
        {
            int result = LibC.OrErrno(LibC.getsockname(fd, a, &length));
            return result < 0 ? result : Math.Min(length, address.Length);
        }
    }

    /// <summary>The connected peer's raw address (<c>getpeername</c>) into <paramref name="address"/>: its length, or the negated errno (<c>-ENOTCONN</c>).</summary>
    public static int PeerAddress(int fd, Span<byte> address)
    {
        int length = address.Length;
        fixed (byte* a = address)
        {
            int result = LibC.OrErrno(LibC.getpeername(fd, a, &length));
            return result < 0 ? result : Math.Min(length, address.Length);
        }
    }
}
