using System.Net;
using System.Net.Sockets;
using Plexus.Native;

namespace Plexus.Processes;

/// <summary>
/// The addresses a manager and a <see cref="ProcessListener"/> listen on and clients connect to: a
/// Unix socket path, or <c>tcp://host:port</c> (an IPv4 or IPv6 address, <c>[::1]</c> bracketed, or a
/// host name; port 0 picks a free one). One parser and one socket set-up for both.
/// </summary>
internal static class ProcessAddress
{
    private const string TcpScheme = "tcp://";

    /// <summary>Whether <paramref name="address"/> names a TCP endpoint.</summary>
    public static bool IsTcp(string address) => address.StartsWith(TcpScheme, StringComparison.Ordinal);

    /// <summary>
    /// A listening socket on <paramref name="address"/>; <paramref name="actual"/> is what clients pass to
    /// connect (the port filled in). A Unix socket file is made owner-only (0600).
    /// </summary>
    /// <exception cref="ArgumentException">The address cannot be parsed.</exception>
    /// <exception cref="SocketException">The address is in use or not local.</exception>
    public static Socket Listen(string address, int backlog, out string actual)
    {
        Socket socket;
        if (IsTcp(address))
        {
            (string host, int port) = ParseTcp(address);
            IPAddress ip = Resolve(host)[0];
            socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                // As Python's Listener: a manager restarted on its port does not wait out TIME_WAIT.
                // Plexus.Native's option sets SO_REUSEADDR alone (.NET's ReuseAddress may add SO_REUSEPORT,
                // which would let a second listener share the port).
                Sockets.SetOption((int)socket.Handle, SocketOption.ReuseAddress, 1);
                socket.Bind(new IPEndPoint(ip, port));
                socket.Listen(backlog);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            actual = Format((IPEndPoint)socket.LocalEndPoint!);
        }
        else
        {
            if (!Platform.IsSupported)
            {
                throw Platform.NotSupported();
            }
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            bool bound = false;
            try
            {
                socket.Bind(new UnixDomainSocketEndPoint(address));
                bound = true;
                // The HMAC challenge is what guards the socket; the mode (and the 0700 directory the callers
                // make) keeps other users from even connecting.
                File.SetUnixFileMode(address, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                socket.Listen(backlog);
            }
            catch
            {
                socket.Dispose();
                if (bound)
                {
                    File.Delete(address); // ours: the bind made it
                }
                throw;
            }
            actual = address;
        }
        return socket;
    }

    /// <summary>A socket connected to <paramref name="address"/> (TCP with <c>TCP_NODELAY</c>); every address of a host name is tried.</summary>
    /// <exception cref="SocketException">Nothing listens there (the last attempt's error).</exception>
    public static Socket Connect(string address)
    {
        if (!IsTcp(address))
        {
            var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                unix.Connect(new UnixDomainSocketEndPoint(address));
            }
            catch
            {
                unix.Dispose();
                throw;
            }
            return unix;
        }
        (string host, int port) = ParseTcp(address);
        SocketException? last = null;
        foreach (IPAddress ip in Resolve(host))
        {
            var tcp = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                tcp.Connect(new IPEndPoint(ip, port));
                return tcp;
            }
            catch (SocketException e)
            {
                tcp.Dispose();
                last = e;
            }
        }
        throw last!;
    }

    private static (string Host, int Port) ParseTcp(string address)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out Uri? uri) || uri.Port < 0 || uri.DnsSafeHost.Length == 0
            || uri.AbsolutePath.Length > 1)
        {
            throw new ArgumentException($"'{address}' is not a TCP address; write tcp://HOST:PORT, e.g. tcp://0.0.0.0:50000 or tcp://[::1]:50000", nameof(address));
        }
        return (uri.DnsSafeHost, uri.Port);
    }

    private static IPAddress[] Resolve(string host)
    {
        if (IPAddress.TryParse(host, out IPAddress? ip))
        {
            return [ip];
        }
        IPAddress[] found = Dns.GetHostAddresses(host);
        return found.Length > 0 ? found : throw new SocketException((int)SocketError.HostNotFound);
    }

    private static string Format(IPEndPoint endPoint) => endPoint.AddressFamily == AddressFamily.InterNetworkV6
        ? $"{TcpScheme}[{endPoint.Address}]:{endPoint.Port}"
        : $"{TcpScheme}{endPoint.Address}:{endPoint.Port}";
}
