using Plexus.Native;

namespace Plexus.Processes;

/// <summary>Creates pipes between processes; mirrors Python's <c>multiprocessing.Pipe</c>.</summary>
public static class ProcessPipe
{
    /// <summary>
    /// Creates a pipe and returns its two ends. With <paramref name="duplex"/> (the default) both
    /// ends send and receive; otherwise the first end only receives and the second only sends.
    /// </summary>
    public static (Connection First, Connection Second) Create(bool duplex = true)
    {
        (int a, int b) = SocketPair.Create(nonBlocking: false);
        return (new Connection(a, readable: true, writable: duplex), new Connection(b, readable: duplex, writable: true));
    }
}
