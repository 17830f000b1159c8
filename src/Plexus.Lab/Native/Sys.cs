using System.Net;
using System.Runtime.InteropServices;

namespace Plexus.Lab.Native;

/// <summary>
/// The raw socket and readiness calls the lab's servers and load client make on plain descriptors.
/// </summary>
/// <remarks>
/// The lab keeps its own small binding instead of going through <c>System.Net.Sockets.Socket</c>:
/// the reactor models must own readiness themselves (a <c>Socket</c> would register every descriptor
/// with .NET's own epoll thread as well). When Plexus.IO's selectors land, the epoll models can move
/// onto <c>EpollSelector</c>; these are the same syscalls.
/// </remarks>
internal static unsafe partial class Sys
{
    public const int EAGAIN = 11, EINTR = 4, EINPROGRESS = 115, ECONNREFUSED = 111, ECONNRESET = 104, EPIPE = 32, EADDRINUSE = 98, ETIMEDOUT = 110, EMFILE = 24;
    public const int AF_INET = 2, SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_ERROR = 4, SO_LINGER = 13, SO_REUSEPORT = 15, IPPROTO_TCP = 6, TCP_NODELAY = 1;
    public const int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x1, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10, EPOLLRDHUP = 0x2000, EPOLLET = 1u << 31;
    public const short POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
    public const int SHUT_RDWR = 2, RLIMIT_NOFILE = 7, F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0x800;

    /// <summary>Linux x86-64 packs <c>struct epoll_event</c> to 12 bytes.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrIn
    {
        public ushort Family;
        public ushort PortBigEndian;
        public uint Address;
        public ulong Zero;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)] public static partial int Socket(int domain, int type, int protocol);
    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)] public static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);
    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)] public static partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);
    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)] public static partial int Bind(int fd, SockAddrIn* address, uint length);
    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)] public static partial int Listen(int fd, int backlog);
    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)] public static partial int Accept4(int fd, void* address, void* length, int flags);
    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)] public static partial int Connect(int fd, SockAddrIn* address, uint length);
    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)] public static partial int GetSockName(int fd, SockAddrIn* address, uint* length);
    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)] public static partial nint Read(int fd, byte* buffer, nint count);
    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)] public static partial nint Write(int fd, byte* buffer, nint count);
    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)] public static partial int Close(int fd);
    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)] public static partial int Shutdown(int fd, int how);
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)] public static partial int Fcntl(int fd, int command, int argument);
    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)] public static partial int EpollCreate1(int flags);
    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)] public static partial int EpollCtl(int epfd, int op, int fd, EpollEvent* ev);
    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)] public static partial int EpollWait(int epfd, EpollEvent* events, int max, int timeoutMs);
    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)] public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);
    [LibraryImport("libc", EntryPoint = "select", SetLastError = true)] public static partial int Select(int nfds, ulong* read, ulong* write, ulong* except, TimeVal* timeout);
    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)] public static partial int GetRLimit(int resource, RLimit* limit);
    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)] public static partial int SetRLimit(int resource, RLimit* limit);
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)] public static partial int Kill(int pid, int signal);

    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>Throws <see cref="LabException"/> naming <paramref name="call"/> when it failed.</summary>
    public static int Check(int result, string call)
    {
        if (result < 0)
        {
            int errno = Errno;
            throw new LabException($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
        }
        return result;
    }

    public static void SetIntOption(int fd, int level, int name, int value, string what)
    {
        Check(SetSockOpt(fd, level, name, &value, sizeof(int)), what);
    }

    public static int SocketError(int fd)
    {
        int error = 0;
        uint length = sizeof(int);
        return GetSockOpt(fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0 ? Errno : error;
    }

    public static void SetNonBlocking(int fd, bool on)
    {
        int flags = Check(Fcntl(fd, F_GETFL, 0), "fcntl(F_GETFL)");
        Check(Fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK), "fcntl(F_SETFL)");
    }

    public static SockAddrIn Address(IPAddress ip, int port)
    {
        byte[] bytes = ip.GetAddressBytes();
        return new SockAddrIn
        {
            Family = AF_INET,
            PortBigEndian = (ushort)IPAddress.HostToNetworkOrder((short)port),
            Address = BitConverter.ToUInt32(bytes, 0),
        };
    }

    /// <summary>Resolves <paramref name="host"/> to an IPv4 address (the lab speaks IPv4 only).</summary>
    public static IPAddress ResolveIPv4(string host)
    {
        if (IPAddress.TryParse(host, out IPAddress? ip))
        {
            return ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
                ? ip
                : throw new LabException($"'{host}' is not an IPv4 address; the lab speaks IPv4 only (try 127.0.0.1)");
        }
        try
        {
            return Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                ?? throw new LabException($"host '{host}' has no IPv4 address; the lab speaks IPv4 only");
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new LabException($"cannot resolve host '{host}': {e.Message}");
        }
    }

    /// <summary>
    /// Opens a non-blocking listening socket. <paramref name="reusePort"/> sets <c>SO_REUSEPORT</c>
    /// (prefork); every listener sets <c>SO_REUSEADDR</c> so a restart does not wait out TIME_WAIT.
    /// </summary>
    public static int Listen(IPAddress ip, int port, bool reusePort, int backlog = 4096, bool listen = true)
    {
        int fd = Check(Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "socket");
        try
        {
            SetIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)");
            if (reusePort)
            {
                SetIntOption(fd, SOL_SOCKET, SO_REUSEPORT, 1, "setsockopt(SO_REUSEPORT)");
            }
            SockAddrIn address = Address(ip, port);
            if (Bind(fd, &address, (uint)sizeof(SockAddrIn)) < 0)
            {
                int errno = Errno;
                throw errno == EADDRINUSE
                    ? new LabException($"port {port} on {ip} is already in use; stop the other server or pick another --port", errno)
                    : new LabException($"cannot bind {ip}:{port}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }
            if (listen)
            {
                Check(Listen(fd, backlog), "listen");
            }
            return fd;
        }
        catch
        {
            Close(fd);
            throw;
        }
    }

    /// <summary>Raises this process's soft descriptor limit to at least <paramref name="wanted"/> (and the hard limit when allowed).</summary>
    public static ulong RaiseFileLimit(ulong wanted)
    {
        RLimit limit;
        Check(GetRLimit(RLIMIT_NOFILE, &limit), "getrlimit(RLIMIT_NOFILE)");
        if (limit.Current >= wanted)
        {
            return limit.Current;
        }
        RLimit raised = new() { Current = Math.Max(wanted, limit.Current), Max = Math.Max(wanted, limit.Max) };
        if (SetRLimit(RLIMIT_NOFILE, &raised) < 0)
        {
            raised = new RLimit { Current = limit.Max, Max = limit.Max };
            Check(SetRLimit(RLIMIT_NOFILE, &raised), "setrlimit(RLIMIT_NOFILE)");
        }
        return raised.Current;
    }
}
