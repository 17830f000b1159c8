using System.Net;
using Plexus.Native;
using System.Runtime.InteropServices;

namespace Plexus.Lab.Native;

/// <summary>
/// The lab's helpers over Plexus.Native's libc binding: errors as <see cref="LabException"/>, listening
/// sockets, addresses and the descriptor limit.
/// </summary>
/// <remarks>
/// The reactor models use raw descriptors, not <c>System.Net.Sockets.Socket</c>: they must own
/// readiness themselves (a <c>Socket</c> would register every descriptor with .NET's own epoll thread
/// as well).
/// </remarks>
internal static unsafe class Sys
{
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
        Check(LibC.setsockopt(fd, level, name, &value, sizeof(int)), what);
    }

    public static int SocketError(int fd)
    {
        int error = 0;
        int length = sizeof(int);
        return LibC.getsockopt(fd, LibC.SOL_SOCKET, LibC.SO_ERROR, &error, &length) < 0 ? Errno : error;
    }

    public static LibC.SockAddrIn Address(IPAddress ip, int port)
    {
        byte[] bytes = ip.GetAddressBytes();
        return new LibC.SockAddrIn
        {
            Family = LibC.AF_INET,
            PortBigEndian = (ushort)IPAddress.HostToNetworkOrder((short)port),
            AddressBigEndian = BitConverter.ToUInt32(bytes, 0),
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
        int fd = Check(LibC.socket(LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0), "socket");
        try
        {
            SetIntOption(fd, LibC.SOL_SOCKET, LibC.SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)");
            if (reusePort)
            {
                SetIntOption(fd, LibC.SOL_SOCKET, LibC.SO_REUSEPORT, 1, "setsockopt(SO_REUSEPORT)");
            }
            LibC.SockAddrIn address = Address(ip, port);
            if (LibC.bind(fd, &address, sizeof(LibC.SockAddrIn)) < 0)
            {
                int errno = Errno;
                throw errno == Errnos.EADDRINUSE
                    ? new LabException($"port {port} on {ip} is already in use; stop the other server or pick another --port", errno)
                    : new LabException($"cannot bind {ip}:{port}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }
            if (listen)
            {
                Check(LibC.listen(fd, backlog), "listen");
            }
            return fd;
        }
        catch
        {
            LibC.close(fd);
            throw;
        }
    }

    /// <summary>Raises this process's soft descriptor limit to at least <paramref name="wanted"/> (and the hard limit when allowed).</summary>
    public static ulong RaiseFileLimit(ulong wanted)
    {
        try
        {
            return (ulong)FileDescriptorLimit.Raise((int)Math.Min(wanted, int.MaxValue));
        }
        catch (InvalidOperationException)
        {
            // Not allowed past the hard limit: take all of it, and let the caller say what that is short of.
            return (ulong)FileDescriptorLimit.Raise((int)Math.Min(FileDescriptorLimit.Hard, int.MaxValue));
        }
    }
}
