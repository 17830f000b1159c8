using Plexus.Lab.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// The seed's non-blocking I/O model: every socket non-blocking and no readiness API at all. One
/// thread loops over every connection calling <c>recv</c> until <c>EAGAIN</c>, accepting between
/// passes. The wait phase becomes a busy loop: each pass costs one system call per connection
/// whether or not anything arrived, and the thread spins at 100% CPU even when every client is idle.
/// That waste is the lesson; the bench measures it.
/// </summary>
internal sealed class NonBlockingModel : ServerModel
{
    public override void Run(ServeOptions options, ServerStats stats, Action<string> log, Action ready, CancellationToken stop)
    {
        int listener = Sys.Listen(options.Host, options.Port, reusePort: false);
        var connections = new List<EchoConnection>();
        byte[] buffer = new byte[64 * 1024];
        try
        {
            ready();
            while (!stop.IsCancellationRequested)
            {
                for (int fd = Accepting.Accept(listener, nonBlocking: true); fd >= 0; fd = Accepting.Accept(listener, nonBlocking: true))
                {
                    connections.Add(new EchoConnection(fd));
                    stats.AddConnection();
                }
                for (int i = connections.Count - 1; i >= 0; i--)
                {
                    EchoConnection c = connections[i];
                    // Partial sends first: a connection with bytes waiting is not read until they are out.
                    bool alive = c.HasPending ? c.OnWritable() : c.OnReadable(buffer, stats, drain: true);
                    if (!alive)
                    {
                        Sys.Close(c.Fd);
                        connections[i] = connections[^1]; // order does not matter: swap-remove
                        connections.RemoveAt(connections.Count - 1);
                    }
                }
            }
        }
        finally
        {
            foreach (EchoConnection c in connections)
            {
                Sys.Close(c.Fd);
            }
            Sys.Close(listener);
        }
    }
}
