using Plexus.Native;
using Plexus.Lab.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// The seed's <c>select.select</c> server: one thread rebuilds two bitmaps of descriptors each round
/// and the kernel scans them all. A bitmap (<c>fd_set</c>) has 1,024 bits, so a descriptor numbered
/// 1,024 or more cannot be watched at all: CPython raises "filedescriptor out of range in select()";
/// this model refuses such a connection (closes it) and says so once in its log.
/// </summary>
internal sealed unsafe class SelectModel : ServerModel
{
    /// <summary><c>FD_SETSIZE</c> in glibc.</summary>
    public const int FdSetSize = 1024;

    private const int Words = FdSetSize / 64;

    public override void Run(ServeOptions options, ServerStats stats, Action<string> log, Action ready, CancellationToken stop)
    {
        int listener = Sys.Listen(options.Host, options.Port, reusePort: false);
        var connections = new List<EchoConnection>();
        byte[] buffer = new byte[64 * 1024];
        ulong* readSet = stackalloc ulong[Words];
        ulong* writeSet = stackalloc ulong[Words];
        bool warned = false;
        try
        {
            ready();
            while (!stop.IsCancellationRequested)
            {
                new Span<ulong>(readSet, Words).Clear();
                new Span<ulong>(writeSet, Words).Clear();
                int max = listener;
                Set(readSet, listener);
                foreach (EchoConnection c in connections)
                {
                    Set(c.HasPending ? writeSet : readSet, c.Fd);
                    max = Math.Max(max, c.Fd);
                }
                LibC.TimeVal timeout = new() { Microseconds = 200_000 };
                int count = LibC.select(max + 1, (LibC.FdSet*)readSet, (LibC.FdSet*)writeSet, null, &timeout);
                if (count < 0)
                {
                    if (Sys.Errno == Errnos.EINTR)
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
                        if (!IsSet(writeSet, c.Fd))
                        {
                            continue;
                        }
                        alive = c.OnWritable();
                    }
                    else
                    {
                        if (!IsSet(readSet, c.Fd))
                        {
                            continue;
                        }
                        alive = c.OnReadable(buffer, stats, drain: false);
                    }
                    count--;
                    if (!alive)
                    {
                        LibC.close(c.Fd);
                        connections[i] = connections[^1];
                        connections.RemoveAt(connections.Count - 1);
                    }
                }
                if (IsSet(readSet, listener))
                {
                    while (true)
                    {
                        int fd = Accepting.Accept(listener, nonBlocking: true);
                        if (fd < 0)
                        {
                            break;
                        }
                        if (fd >= FdSetSize)
                        {
                            // Writing bit fd of a 1,024-bit fd_set would scribble past it: refuse instead.
                            LibC.close(fd);
                            stats.AddRefused();
                            if (!warned)
                            {
                                warned = true;
                                log($"select: refusing connections whose descriptor is {FdSetSize} or more (select's fd_set has {FdSetSize} bits); use poll or epoll to hold more");
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
                LibC.close(c.Fd);
            }
            LibC.close(listener);
        }
    }

    private static void Set(ulong* set, int fd) => set[fd >> 6] |= 1UL << (fd & 63);

    private static bool IsSet(ulong* set, int fd) => (set[fd >> 6] & (1UL << (fd & 63))) != 0;
}
