using Plexus.Processes;

namespace Plexus.Faults;

/// <summary>
/// Descriptor exhaustion in the parent: the soft RLIMIT_NOFILE is lowered to what is open plus a random
/// 0-40, then queues, pipes, locks and children are created until one fails. The failure must be a
/// clear one-line error naming the descriptor limit; every child started must end; and once the limit is
/// restored and the objects disposed, a new child and a new queue work (nothing stayed broken).
/// </summary>
internal sealed class DescriptorParentRow : Row
{
    public override string Name => "fd-parent";

    public override string Description => "RLIMIT_NOFILE lowered in the parent: clear EMFILE error, children end, all works after";

    /// <summary>
    /// One of each object with the limit untouched: the runtime maps each assembly (a descriptor) the
    /// first time code needs it, and a type whose initializer failed for want of one stays broken for the
    /// process's life. The row tests Plexus at the limit, not the runtime's first use of a type.
    /// </summary>
    public override void Setup()
    {
        using var queue = new ProcessQueue<int>(capacityBytes: 4096);
        queue.Put(1);
        queue.Get();
        (Connection a, Connection b) = ProcessPipe.Create();
        a.Send(1);
        b.Receive<int>();
        a.Dispose();
        b.Dispose();
        new ProcessLock().Dispose();
        using ChildProcess child = ChildProcess.Create(Nothing).Start();
        child.Join(TimeSpan.FromSeconds(30));
    }

    public override void Trial(Random random)
    {
        (ulong soft, _) = Sys.GetLimit(0, Sys.RlimitNoFile);
        var held = new List<IDisposable>();
        var children = new List<ChildProcess>();
        Exception? error = null;
        Sys.SetSoftLimit(0, Sys.RlimitNoFile, (ulong)(ProcFs.FdCount(Environment.ProcessId) + random.Next(41)));
        try
        {
            for (int i = 0; i < 400 && error is null; i++)
            {
                try
                {
                    switch (i % 4)
                    {
                        case 0:
                            held.Add(new ProcessQueue<int>(capacityBytes: 4096));
                            break;
                        case 1:
                            (Connection a, Connection b) = ProcessPipe.Create();
                            held.Add(a);
                            held.Add(b);
                            break;
                        case 2:
                            held.Add(new ProcessLock());
                            break;
                        default:
                            ChildProcess child = ChildProcess.Create(Nothing);
                            children.Add(child);
                            child.Start();
                            break;
                    }
                }
                catch (Exception e)
                {
                    error = e;
                }
            }
        }
        finally
        {
            Sys.SetSoftLimit(0, Sys.RlimitNoFile, soft);
        }
        try
        {
            Check.That(error is not null, "400 objects created under a lowered descriptor limit");
            Check.Clear(error!, "at the descriptor limit");
            string text = $"{error!.GetType().Name} {error.Message} {error.InnerException?.Message}";
            Check.That(text.Contains("EMFILE", StringComparison.Ordinal) || text.Contains("Too many open files", StringComparison.Ordinal)
                || text.Contains("descriptor", StringComparison.OrdinalIgnoreCase),
                $"error at the descriptor limit does not say so: {error.GetType().Name}: {error.Message}");
            foreach (ChildProcess child in children)
            {
                try
                {
                    Check.That(child.Join(TimeSpan.FromSeconds(30)), $"child {child.Pid} still running 30 s after the limit was restored");
                }
                catch (InvalidOperationException)
                {
                    // never started: Start is what failed
                }
            }
        }
        finally
        {
            foreach (ChildProcess child in children)
            {
                child.Dispose();
            }
            foreach (IDisposable item in held)
            {
                item.Dispose();
            }
        }
        using ChildProcess after = ChildProcess.Create(Nothing).Start();
        Check.That(after.Join(TimeSpan.FromSeconds(30)) && after.ExitCode == 0, $"a child started after the limit was restored: exit {after.ExitCode}, {after.Error?.Message}");
        using var queue = new ProcessQueue<int>();
        queue.Put(7);
        Check.That(queue.Get(TimeSpan.FromSeconds(1)) == 7, "queue after the limit was restored");
    }

    private static void Nothing()
    {
    }
}
