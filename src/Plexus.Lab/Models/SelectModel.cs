using Plexus.Lab.Native;
using Plexus.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// The seed's <c>select.select</c> server: one thread rebuilds two bitmaps of descriptors each round
/// and the kernel scans them all. A bitmap (<c>fd_set</c>) has 1,024 bits, so a descriptor numbered
/// 1,024 or more cannot be watched at all: CPython raises "filedescriptor out of range in select()";
/// this model refuses such a connection (closes it) and says so once in its log.
/// </summary>
internal sealed class SelectModel : ServerModel
{
    public override void Run(ServeOptions options, ServerStats stats, Action<string> log, Action ready, CancellationToken stop)
    {
        int listener = Sys.Listen(options.Host, options.Port, reusePort: false);
        var connections = new List<EchoConnection>();
        byte[] buffer = new byte[64 * 1024];
        bool warned = false;
        try
        {
            ready();
            while (!stop.IsCancellationRequested)
            {
                FdSet readSet = default;
                FdSet writeSet = default;
                int max = listener;
                readSet.Set(listener);
                foreach (EchoConnection c in connections)
                {
                    if (c.HasPending)
                    {
                        writeSet.Set(c.Fd);
                    }
                    else
                    {
                        readSet.Set(c.Fd);
                    }
                    max = Math.Max(max, c.Fd);
                }
                int count = Sys.Select(max + 1, ref readSet, ref writeSet, 200);
                if (count < 0)
                {
                    if (count == -Errnos.EINTR)
                    {
                        continue;
                    }
                    Sys.Check(count, "select");
                }
                for (int i = connections.Count - 1; i >= 0 && count > 0; i--)
                {
                    EchoConnection c = connections[i];
                    bool alive;
                    if (c.HasPending)
                    {
                        if (!writeSet.IsSet(c.Fd))
                        {
                            continue;
                        }
                        alive = c.OnWritable();
                    }
                    else
                    {
                        if (!readSet.IsSet(c.Fd))
                        {
                            continue;
                        }
                        alive = c.OnReadable(buffer, stats, drain: false);
                    }
                    count--;
                    if (!alive)
                    {
                        Sys.Close(c.Fd);
                        connections[i] = connections[^1];
                        connections.RemoveAt(connections.Count - 1);
                    }
                }
                if (readSet.IsSet(listener))
                {
                    while (true)
                    {
                        int fd = Accepting.Accept(listener, nonBlocking: true);
                        if (fd < 0)
                        {
                            break;
                        }
                        if (fd >= FdSet.Capacity)
                        {
                            // An fd_set has no bit for it: refuse the connection.
                            Sys.Close(fd);
                            stats.AddRefused();
                            if (!warned)
                            {
                                warned = true;
                                log($"select: refusing connections whose descriptor is {FdSet.Capacity} or more (select's fd_set has {FdSet.Capacity} bits); use poll or epoll to hold more");
                            }
                            continue;
                        }
                        stats.AddConnection();
                        connections.Add(new EchoConnection(fd));
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
