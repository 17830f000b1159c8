namespace Plexus.Native;

/// <summary>The integer socket options <see cref="Sockets.SetOption"/> sets.</summary>
public enum SocketOption
{
    /// <summary><c>SO_REUSEADDR</c>: bind a port whose old connections wait out TIME_WAIT.</summary>
    ReuseAddress,

    /// <summary><c>SO_REUSEPORT</c>: several listeners share a port; the kernel spreads connections across them.</summary>
    ReusePort,

    /// <summary><c>TCP_NODELAY</c>: send small writes at once (no Nagle delay).</summary>
    NoDelay,

    /// <summary><c>SO_SNDBUF</c>: the kernel's send buffer size in bytes.</summary>
    SendBuffer,

    /// <summary><c>SO_RCVBUF</c>: the kernel's receive buffer size in bytes.</summary>
    ReceiveBuffer,
}
