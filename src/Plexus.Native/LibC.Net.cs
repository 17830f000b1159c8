using System.Runtime.InteropServices;

namespace Plexus.Native;

internal static unsafe partial class LibC
{
    /// <summary><c>struct sockaddr_in</c>: 16 bytes; port and address in network byte order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockAddrIn
    {
        internal ushort Family;
        internal ushort PortBigEndian;
        internal uint AddressBigEndian;
        internal ulong Zero;
    }

    /// <summary><c>struct linger</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Linger
    {
        internal int OnOff;
        internal int Seconds;
    }

    internal const int AF_INET = 2;
    internal const int SOCK_NONBLOCK = 0x800;
    // SOCK_STREAM, SOCK_CLOEXEC, SOL_SOCKET, MSG_NOSIGNAL, AF_UNIX, socket and socketpair: LibC.Unix.cs.
    internal const int SO_REUSEADDR = 2;
    internal const int SO_ERROR = 4;
    internal const int SO_SNDBUF = 7;
    internal const int SO_RCVBUF = 8;
    internal const int SO_LINGER = 13;
    internal const int SO_RCVTIMEO = 20;
    internal const int SO_REUSEPORT = 15;
    internal const int IPPROTO_TCP = 6;
    internal const int TCP_NODELAY = 1;
    internal const int SHUT_WR = 1;

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int bind(int fd, void* addr, int addrlen);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int listen(int fd, int backlog);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int accept4(int fd, void* addr, int* addrlen, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int connect(int fd, void* addr, int addrlen);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint recv(int fd, byte* buf, nint len, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint send(int fd, byte* buf, nint len, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int setsockopt(int fd, int level, int name, void* value, int len);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int getsockopt(int fd, int level, int name, void* value, int* len);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int getsockname(int fd, void* addr, int* len);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int shutdown(int fd, int how);
}
