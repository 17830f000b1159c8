using Plexus.Lab.Native;
using Plexus.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// The seed's <c>poll</c> server: one thread hands the kernel the whole array of descriptors on every
/// call, so each wait costs O(connections) even when one is ready; no 1,024 ceiling, unlike select.
/// </summary>
internal sealed class PollModel : ServerModel
{
    public override void Run(ServeOptions options, ServerStats stats, Action<string> log, Action ready, CancellationToken stop)
    {
        int listener = Sys.Listen(options.Host, options.Port, reusePort: false);
        var fds = new List<PollFd> { new() { Fd = listener, Events = Poll.In } };
        var connections = new List<EchoConnection?> { null };
        byte[] buffer = new byte[64 * 1024];
        try
        {
            ready();
            PollFd[] array = new PollFd[64];
            while (!stop.IsCancellationRequested)
            {
                if (array.Length < fds.Count)
                {
                    array = new PollFd[fds.Count * 2];
                }
                fds.CopyTo(array);
                int count = Sys.Poll(array.AsSpan(0, fds.Count), 200);
                if (count < 0)
                {
                    if (count == -Errnos.EINTR)
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
                        Sys.Close(c.Fd);
                        int last = fds.Count - 1;
                        fds[i] = fds[last];
                        connections[i] = connections[last];
                        fds.RemoveAt(last);
                        connections.RemoveAt(last);
                        continue;
                    }
                    fds[i] = new PollFd { Fd = c.Fd, Events = c.HasPending ? Poll.Out : Poll.In };
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
                        fds.Add(new PollFd { Fd = fd, Events = Poll.In });
                        connections.Add(new EchoConnection(fd));
                    }
                }
            }
        }
        finally
        {
            for (int i = 1; i < connections.Count; i++)
            {
                Sys.Close(connections[i]!.Fd);
            }
            Sys.Close(listener);
        }
    }
}
