using Plexus.Native;
using Plexus.Lab.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// The seed's <c>poll</c> server: one thread hands the kernel the whole array of descriptors on every
/// call, so each wait costs O(connections) even when one is ready; no 1,024 ceiling, unlike select.
/// </summary>
internal sealed unsafe class PollModel : ServerModel
{
    public override void Run(ServeOptions options, ServerStats stats, Action<string> log, Action ready, CancellationToken stop)
    {
        int listener = Sys.Listen(options.Host, options.Port, reusePort: false);
        var fds = new List<LibC.PollFd> { new() { Fd = listener, Events = LibC.POLLIN } };
        var connections = new List<EchoConnection?> { null };
        byte[] buffer = new byte[64 * 1024];
        try
        {
            ready();
            LibC.PollFd[] array = new LibC.PollFd[64];
            while (!stop.IsCancellationRequested)
            {
                if (array.Length < fds.Count)
                {
                    array = new LibC.PollFd[fds.Count * 2];
                }
                fds.CopyTo(array);
                int count;
                fixed (LibC.PollFd* p = array)
                {
                    count = LibC.poll(p, (nuint)fds.Count, 200);
                }
                if (count < 0)
                {
                    if (Sys.Errno == Errnos.EINTR)
                    {
                        continue;
                    }
                    Sys.Check(count, "poll");
                }
                int watched = fds.Count;
                // Walk backwards so swap-removing a closed connection never skips an unvisited slot.
                for (int i = watched - 1; i >= 1 && count > 0; i--)
                {
                    short revents = array[i].REvents;
                    if (revents == 0)
                    {
                        continue;
                    }
                    count--;
                    EchoConnection c = connections[i]!;
                    bool alive;
                    if (c.HasPending)
                    {
                        alive = c.OnWritable();
                    }
                    else
                    {
                        alive = c.OnReadable(buffer, stats, drain: false);
                    }
                    if (!alive)
                    {
                        LibC.close(c.Fd);
                        int last = fds.Count - 1;
                        fds[i] = fds[last];
                        connections[i] = connections[last];
                        fds.RemoveAt(last);
                        connections.RemoveAt(last);
                        continue;
                    }
                    fds[i] = new LibC.PollFd { Fd = c.Fd, Events = c.HasPending ? LibC.POLLOUT : LibC.POLLIN };
                }
                if (array[0].REvents != 0)
                {
                    while (true)
                    {
                        int fd = Accepting.Accept(listener, nonBlocking: true);
                        if (fd < 0)
                        {
                            break;
                        }
                        stats.AddConnection();
                        fds.Add(new LibC.PollFd { Fd = fd, Events = LibC.POLLIN });
                        connections.Add(new EchoConnection(fd));
                    }
                }
            }
        }
        finally
        {
            for (int i = 1; i < connections.Count; i++)
            {
                LibC.close(connections[i]!.Fd);
            }
            LibC.close(listener);
        }
    }
}
