using Plexus.Lab.Native;
using Plexus.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// The seed's epoll echo server: one thread, one epoll set, level-triggered (<c>epoll</c>) or
/// edge-triggered (<c>epoll-et</c>). Readiness costs O(ready) per wait, not O(watched), which is why
/// it holds 10,000 idle-ish connections cheaply.
/// </summary>
internal sealed class EpollModel(bool edgeTriggered) : ServerModel
{
    private const int MaxEvents = 512;

    public override void Run(ServeOptions options, ServerStats stats, Action<string> log, Action ready, CancellationToken stop)
    {
        int listener = Sys.Listen(options.Host, options.Port, reusePort: false);
        try
        {
            ready();
            Serve(listener, edgeTriggered, stats, stopFd: -1, stop);
        }
        finally
        {
            Sys.Close(listener);
        }
    }

    /// <summary>
    /// Runs the loop until <paramref name="stop"/> is cancelled or <paramref name="stopFd"/> (when not
    /// -1) becomes readable, then closes every connection. Prefork workers run this too.
    /// </summary>
    public static void Serve(int listener, bool edgeTriggered, ServerStats stats, int stopFd, CancellationToken stop)
    {
        int epfd = Sys.EpollCreate();
        EchoConnection?[] connections = new EchoConnection?[1024];
        byte[] buffer = new byte[64 * 1024];
        Span<EpollEvent> events = stackalloc EpollEvent[MaxEvents];
        uint connectionEvents = edgeTriggered ? Epoll.In | Epoll.Out | Epoll.PeerClosed | Epoll.EdgeTriggered : Epoll.In;
        try
        {
            Sys.EpollAdd(epfd, listener, Epoll.In, (ulong)listener);
            if (stopFd >= 0)
            {
                Sys.EpollAdd(epfd, stopFd, Epoll.In, (ulong)stopFd);
            }
            while (!stop.IsCancellationRequested)
            {
                int count = Sys.EpollWait(epfd, events, 200);
                if (count < 0)
                {
                    if (count == -Errnos.EINTR)
                    {
                        continue;
                    }
                    Sys.Check(count, "epoll_wait");
                }
                for (int i = 0; i < count; i++)
                {
                    int fd = (int)events[i].Data;
                    if (fd == listener)
                    {
                        AcceptAll(epfd, listener, connectionEvents, ref connections, stats);
                        continue;
                    }
                    if (fd == stopFd)
                    {
                        return;
                    }
                    EchoConnection? c = connections[fd];
                    if (c is null)
                    {
                        continue;
                    }
                    bool alive;
                    if (edgeTriggered)
                    {
                        alive = c.OnWritable() && c.OnReadable(buffer, stats, drain: true);
                    }
                    else if (c.HasPending)
                    {
                        alive = c.OnWritable();
                        if (alive && !c.HasPending)
                        {
                            Sys.EpollModify(epfd, fd, Epoll.In, (ulong)fd);
                        }
                    }
                    else
                    {
                        alive = c.OnReadable(buffer, stats, drain: false);
                        if (alive && c.HasPending)
                        {
                            Sys.EpollModify(epfd, fd, Epoll.Out, (ulong)fd);
                        }
                    }
                    if (!alive)
                    {
                        connections[fd] = null;
                        Sys.Close(fd); // closing removes it from the epoll set
                    }
                }
            }
        }
        finally
        {
            foreach (EchoConnection? c in connections)
            {
                if (c is not null)
                {
                    Sys.Close(c.Fd);
                }
            }
            Sys.Close(epfd);
        }
    }

    private static void AcceptAll(int epfd, int listener, uint events, ref EchoConnection?[] connections, ServerStats stats)
    {
        while (true)
        {
            int fd = Accepting.Accept(listener, nonBlocking: true);
            if (fd < 0)
            {
                return;
            }
            if (fd >= connections.Length)
            {
                Array.Resize(ref connections, Math.Max(fd + 1, connections.Length * 2));
            }
            connections[fd] = new EchoConnection(fd);
            stats.AddConnection();
            Sys.EpollAdd(epfd, fd, events, (ulong)fd);
        }
    }
}
