using System.Net.Sockets;
using Plexus.Processes;

namespace Plexus.Faults;

/// <summary>
/// Descriptor exhaustion in a child, the manager process: its soft RLIMIT_NOFILE is lowered (prlimit on
/// its pid) to what it has open plus a random 0-8, and 24 unauthenticated connections fill the rest.
/// While it is full, the parent's established proxy must keep working and a new client child must
/// either succeed or fail with a clear error within 20 s; once those connections close (the limit
/// stays low), a new client child must succeed: the manager keeps accepting after EMFILE.
/// </summary>
internal sealed class DescriptorChildRow : Row
{
    public override string Name => "fd-child";

    public override string Description => "manager at its RLIMIT_NOFILE: old clients work, new ones fail clearly, all work once freed";

    public override void Trial(Random random)
    {
        var manager = new ProcessManager().Start();
        var raw = new List<Socket>();
        try
        {
            ManagedDictionary counters = manager.CreateDictionary();
            counters["n"] = 0L;
            int server = manager.ServerPid!.Value;
            int spare = random.Next(9);
            string limit = $"limit: open + {spare}";
            Sys.SetSoftLimit(server, Sys.RlimitNoFile, (ulong)(ProcFs.FdCount(server) + spare));
            for (int i = 0; i < 24; i++)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                raw.Add(socket);
                socket.Connect(new UnixDomainSocketEndPoint(manager.Address));
            }
            Check.Within(TimeSpan.FromSeconds(5), Task.Run(() => counters.Increment("n")), "the parent's proxy while the manager is full");
            long expected = 1;
            using (ChildProcess during = ChildProcess.Create(Bump, counters).Start())
            {
                Check.That(during.Join(TimeSpan.FromSeconds(20)), $"a new client hung on the full manager (no error within 20 s; {limit})");
                if (during.ExitCode == 0)
                {
                    expected += 10;
                }
                else
                {
                    Check.That(during.Error is not null, $"new client exit {during.ExitCode} without an error");
                    Check.Clear(during.Error!, $"new client of a full manager ({limit})");
                }
            }
            foreach (Socket socket in raw)
            {
                socket.Dispose();
            }
            raw.Clear();
            using (ChildProcess after = ChildProcess.Create(Bump, counters).Start())
            {
                Check.That(after.Join(TimeSpan.FromSeconds(20)), $"a new client hung after the manager's descriptors were freed ({limit})");
                Check.That(after.ExitCode == 0, $"a new client failed after the manager's descriptors were freed ({limit}): {after.Error?.Message}");
            }
            expected += 10;
            long n = counters.Get<long>("n");
            Check.That(n == expected, $"counter {n}, expected {expected} ({limit})");
        }
        finally
        {
            foreach (Socket socket in raw)
            {
                socket.Dispose();
            }
            Check.Within(TimeSpan.FromSeconds(5), Task.Run(() => { manager.Dispose(); return true; }), "manager Dispose");
        }
    }

    private static void Bump(ManagedDictionary counters)
    {
        for (int i = 0; i < 10; i++)
        {
            counters.Increment("n");
        }
    }
}
