using System.Diagnostics;
using Plexus.Processes;

namespace Plexus.Faults;

/// <summary>
/// A parent killed while its children run: a separate parent process starts two children (one a
/// daemon), a pool of two busy workers, a manager and a producer blocked on a full queue, prints their
/// pids, and is SIGKILLed at a random point. Every one of those processes (and anything under them)
/// must be gone within 5 s, however busy or blocked it was.
/// </summary>
internal sealed class ParentKilledRow : Row
{
    public override string Name => "parent-killed";

    public override string Description => "SIGKILL a parent with children, pool workers, a manager, a blocked producer: all gone within 5 s";

    public override void Trial(Random random)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(ParentKilledRow).Assembly.Location);
        start.ArgumentList.Add("orphan-parent");
        using Process parent = Process.Start(start)!;
        try
        {
            Task<string?> line = parent.StandardOutput.ReadLineAsync();
            string? pids = Check.Within(TimeSpan.FromSeconds(60), line, "the doomed parent starting its processes");
            Check.That(pids is not null && pids.StartsWith("pids ", StringComparison.Ordinal), $"doomed parent said '{pids}'");
            var doomed = pids![5..].Split(' ').Select(int.Parse).ToHashSet();
            Thread.Sleep(random.Next(300));
            doomed.UnionWith(ProcFs.Descendants(parent.Id));
            Sys.Signal(parent.Id, Sys.SigKill);
            Check.That(parent.WaitForExit(5000), "the doomed parent survived SIGKILL");
            var clock = Stopwatch.StartNew();
            while (doomed.Any(ProcFs.IsRunning))
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(5))
                {
                    int[] left = [.. doomed.Where(ProcFs.IsRunning)];
                    foreach (int pid in left)
                    {
                        Sys.Signal(pid, Sys.SigKill);
                    }
                    throw new FaultCheckException($"{left.Length} of {doomed.Count} processes still running 5 s after their parent was killed: {string.Join(' ', left)}");
                }
                Thread.Sleep(10);
            }
        }
        finally
        {
            if (!parent.HasExited)
            {
                Sys.Signal(parent.Id, Sys.SigKill);
                parent.WaitForExit();
            }
        }
    }

    /// <summary>The doomed parent: starts everything, prints the pids, waits to be killed.</summary>
    public static void RunDoomedParent()
    {
        var pids = new List<int>();
        ChildProcess sleeper = ChildProcess.Create(Sleep).Start();
        ChildProcess daemon = ChildProcess.Create(Sleep);
        daemon.IsDaemon = true;
        daemon.Start();
        var pool = new ProcessPool(2);
        pool.ApplyAsync(Busy);
        pool.ApplyAsync(Busy);
        var manager = new ProcessManager().Start();
        var queue = new ProcessQueue<long>(maxSize: 1);
        ChildProcess producer = ChildProcess.Create(Flood, queue).Start();
        pids.AddRange([sleeper.Pid, daemon.Pid, producer.Pid, manager.ServerPid!.Value]);
        pids.AddRange(pool.WorkerPids);
        Console.WriteLine($"pids {string.Join(' ', pids)}");
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
        GC.KeepAlive(manager);
    }

    private static void Sleep() => Thread.Sleep(Timeout.Infinite);

    private static int Busy()
    {
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    private static void Flood(ProcessQueue<long> queue)
    {
        for (long i = 0; ; i++)
        {
            queue.Put(i);
        }
    }
}
