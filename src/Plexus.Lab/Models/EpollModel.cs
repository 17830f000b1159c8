using Plexus.Native;
using Plexus.Lab.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// The seed's epoll echo server: one thread, one epoll set, level-triggered (<c>epoll</c>) or
/// edge-triggered (<c>epoll-et</c>). Readiness costs O(ready) per wait, not O(watched), which is why
/// it holds 10,000 idle-ish connections cheaply.
/// </summary>
internal sealed unsafe class EpollModel(bool edgeTriggered) : ServerModel
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
            LibC.close(listener);
        }
    }

    /// <summary>
    /// Runs the loop until <paramref name="stop"/> is cancelled or <paramref name="stopFd"/> (when not
    /// -1) becomes readable, then closes every connection. Prefork workers run this too.
    /// </summary>
    public static void Serve(int listener, bool edgeTriggered, ServerStats stats, int stopFd, CancellationToken stop)
    {
        int epfd = Sys.Check(LibC.epoll_create1(0x80000), "epoll_create1");
        EchoConnection?[] connections = new EchoConnection?[1024];
        byte[] buffer = new byte[64 * 1024];
        LibC.EpollEvent* events = stackalloc LibC.EpollEvent[MaxEvents];
        uint connectionEvents = edgeTriggered ? LibC.EPOLLIN | LibC.EPOLLOUT | LibC.EPOLLRDHUP | LibC.EPOLLET : LibC.EPOLLIN;
        try
        {
            Add(epfd, listener, LibC.EPOLLIN);
            if (stopFd >= 0)
            {
                Add(epfd, stopFd, LibC.EPOLLIN);
            }
            while (!stop.IsCancellationRequested)
            {
                int count = LibC.epoll_wait(epfd, events, MaxEvents, 200);
                if (count < 0)
                {
                    if (Sys.Errno == Errnos.EINTR)
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
                            Modify(epfd, fd, LibC.EPOLLIN);
                        }
                    }
                    else
                    {
                        alive = c.OnReadable(buffer, stats, drain: false);
                        if (alive && c.HasPending)
                        {
                            Modify(epfd, fd, LibC.EPOLLOUT);
                        }
                    }
                    if (!alive)
                    {
                        connections[fd] = null;
                        LibC.close(fd); // closing removes it from the epoll set
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
                    LibC.close(c.Fd);
                }
            }
            LibC.close(epfd);
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
            Add(epfd, fd, events);
        }
    }

    private static void Add(int epfd, int fd, uint events)
    {
        LibC.EpollEvent ev = new() { Events = events, Data = (ulong)fd };
        Sys.Check(LibC.epoll_ctl(epfd, LibC.EPOLL_CTL_ADD, fd, &ev), "epoll_ctl(ADD)");
    }

    private static void Modify(int epfd, int fd, uint events)
    {
        LibC.EpollEvent ev = new() { Events = events, Data = (ulong)fd };
        Sys.Check(LibC.epoll_ctl(epfd, LibC.EPOLL_CTL_MOD, fd, &ev), "epoll_ctl(MOD)");
    }
}
