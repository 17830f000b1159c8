using System.Net;

namespace Plexus.Native;

/// <summary>
/// Choosing a client socket's source address before it connects, as a load generator spreading
/// connections over several addresses does (each address brings its own ephemeral port range).
/// </summary>
public static unsafe class SourceAddress
{
    private const int IPPROTO_IP = 0;
    private const int IP_BIND_ADDRESS_NO_PORT = 24;

    /// <summary>
    /// Binds <paramref name="fd"/> to <paramref name="address"/> with the port left to
    /// <c>connect</c> (<c>IP_BIND_ADDRESS_NO_PORT</c>): a port is then picked for the full
    /// (source, destination) pair, instead of <c>bind</c> reserving one for any destination, which
    /// slows to a crawl as a range nears exhaustion. Returns 0 or the negated errno.
    /// </summary>
    public static int Bind(int fd, IPAddress address)
    {
        int on = 1;
        if (LibC.setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof(int)) == -1)
        {
            return LibC.OrErrno(-1);
        }
        try
        {
            Sockets.Bind(fd, address, 0);
            return 0;
        }
        catch (ErrnoException e)
        {
            return -e.Errno;
        }
    }
}
