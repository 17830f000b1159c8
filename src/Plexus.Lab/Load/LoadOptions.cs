using System.Net;

namespace Plexus.Lab.Load;

/// <summary>What <c>plexus load</c> was asked for.</summary>
/// <param name="Host">Server address.</param>
/// <param name="Port">Server port.</param>
/// <param name="Connections">Connections to open and keep.</param>
/// <param name="Size">Message size in bytes (ping-pong pattern).</param>
/// <param name="Duration">Measured window (duration mode), or null with <paramref name="Messages"/>.</param>
/// <param name="Messages">Round trips per connection (messages mode), or null.</param>
/// <param name="SeedPattern">Send the seed's three messages in turn instead of <paramref name="Size"/>-byte ones.</param>
/// <param name="Threads">Load threads, each with its own epoll set.</param>
/// <param name="Timeout">How long a reply or a connect may take before it counts as a timeout.</param>
internal sealed record LoadOptions(
    IPAddress Host, int Port, int Connections, int Size, TimeSpan? Duration, int? Messages, bool SeedPattern, int Threads, TimeSpan Timeout)
{
    /// <summary>
    /// Loopback source addresses the connections bind to in turn (empty: the kernel picks). One
    /// address gives one ephemeral port range (about 28,000 ports) towards the server's address and port.
    /// </summary>
    public IPAddress[] Sources { get; init; } = [];

    /// <summary>The seed client's messages (<c>socket-client.py</c>), sent one per round trip, in turn.</summary>
    public static readonly byte[][] SeedMessages = ["This is the message. "u8.ToArray(), "It will be sent "u8.ToArray(), "in parts."u8.ToArray()];
}

/// <summary>Live counters the progress line reads while the load runs.</summary>
internal sealed class LoadProgress
{
    public long RoundTrips;
    public long Connected;
    public long Errors;
    public volatile string Phase = "connecting";
}
