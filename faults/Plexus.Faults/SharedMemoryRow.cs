using Plexus.Processes;

namespace Plexus.Faults;

/// <summary>
/// Shared-memory allocation failure. Plexus's shared memory is a memfd mapped MAP_SHARED (no /dev/shm
/// file, so a full /dev/shm does not touch it). What makes the allocation fail for real is the
/// mapping: a child lowers its own RLIMIT_AS to its current address space plus a random 0-96 MiB and
/// asks for a 256 MiB queue and a 512 MiB array, so <c>mmap</c> fails with ENOMEM. The error must be
/// clear, no memfd may stay open, and after the limit is restored the same allocation must work.
/// </summary>
internal sealed class SharedMemoryRow : Row
{
    public override string Name => "shm-alloc";

    public override string Description => "memfd mmap fails (RLIMIT_AS in a child): clear ENOMEM error, no memfd left, works after";

    public override void Trial(Random random)
    {
        (Connection parentEnd, Connection childEnd) = ProcessPipe.Create();
        using (parentEnd)
        {
            using ChildProcess child = ChildProcess.Create(Allocate, childEnd, random.Next(97)).Start();
            childEnd.Dispose();
            Check.That(parentEnd.Poll(TimeSpan.FromSeconds(30)), "no report from the child within 30 s");
            string[] report = parentEnd.Receive<string[]>();
            Check.That(child.Join(TimeSpan.FromSeconds(10)) && child.ExitCode == 0, $"child exit {child.ExitCode}: {child.Error?.Message}");
            (string failure, string fdsBefore, string fdsAfter, string after) = (report[0], report[1], report[2], report[3]);
            Check.That(failure != "allocated", "768 MiB mapped under a lower RLIMIT_AS");
            Check.That(!failure.Contains('\n', StringComparison.Ordinal) && (failure.Contains("mmap", StringComparison.Ordinal) || failure.Contains("memory", StringComparison.OrdinalIgnoreCase)),
                $"unclear allocation error: {failure}");
            Check.That(fdsAfter == fdsBefore, $"descriptors {fdsBefore} before the failed allocation, {fdsAfter} after");
            Check.That(after == "allocated", $"allocation after the limit was restored: {after}");
        }
    }

    private static void Allocate(Connection report, int headroomMiB)
    {
        const long MiB = 1 << 20;
        int self = Environment.ProcessId;
        (ulong soft, _) = Sys.GetLimit(0, Sys.RlimitAs);
        long vm = File.ReadLines("/proc/self/status").Where(l => l.StartsWith("VmSize:", StringComparison.Ordinal))
            .Select(l => long.Parse(l[7..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024).First();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        int before = ProcFs.FdCount(self);
        string failure = "allocated";
        Sys.SetSoftLimit(0, Sys.RlimitAs, (ulong)(vm + headroomMiB * MiB));
        try
        {
            using var queue = new ProcessQueue<long>(capacityBytes: 256 << 20);
            using var array = new ProcessArray<byte>(512 << 20);
        }
        catch (Exception e)
        {
            failure = $"{e.GetType().Name}: {e.Message}";
        }
        finally
        {
            Sys.SetSoftLimit(0, Sys.RlimitAs, soft);
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        int after = ProcFs.FdCount(self);
        string again = "allocated";
        try
        {
            using var queue = new ProcessQueue<long>(capacityBytes: 256 << 20);
            using var array = new ProcessArray<byte>(512 << 20);
        }
        catch (Exception e)
        {
            again = $"{e.GetType().Name}: {e.Message}";
        }
        report.Send(new[] { failure, before.ToString(System.Globalization.CultureInfo.InvariantCulture), after.ToString(System.Globalization.CultureInfo.InvariantCulture), again });
        report.Close();
    }
}
