using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary>Datagram sockets and the addresses of any socket family (IPv6, Unix), for Plexus.IO's loop sockets.</summary>
internal static unsafe partial class LibC
{
    internal const int AF_INET6 = 10;
    internal const int SOCK_DGRAM = 2;
    internal const int IPPROTO_IPV6 = 41;
    internal const int IPV6_V6ONLY = 26;

    /// <summary>Room for any socket address (<c>sizeof(struct sockaddr_storage)</c>).</summary>
    internal const int SockAddrStorageSize = 128;

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint sendto(int fd, byte* buf, nint len, int flags, void* addr, int addrlen);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint recvfrom(int fd, byte* buf, nint len, int flags, void* addr, int* addrlen);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int getpeername(int fd, void* addr, int* len);
}
