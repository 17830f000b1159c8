using Plexus.Processes;

namespace Plexus.Samples;

/// <summary>
/// Seed S10: ten processes print under one process lock, so each one's three lines and separator
/// come out as a block. (The seed prints its first and last lines outside the lock, which only
/// happens not to interleave; here the whole block is inside, so it never does.)
/// </summary>
internal static class S10
{
    public static int Run(string[] args)
    {
        using var l = new ProcessLock();
        var children = new List<ChildProcess>();
        try
        {
            for (int num = 0; num < 10; num++)
            {
                children.Add(ChildProcess.Create(F, l, num).Start());
            }
            int failed = 0;
            foreach (ChildProcess child in children)
            {
                child.Join();
                failed += child.ExitCode == 0 ? 0 : 1;
            }
            return failed == 0 ? 0 : 1;
        }
        finally
        {
            children.ForEach(c => c.Dispose());
        }
    }

    private static void F(ProcessLock l, int i)
    {
        using (l.Acquire())
        {
            Console.WriteLine($"this is process {i} acquire lock.");
            Console.WriteLine($"this is process {i}.");
            Console.WriteLine($"this is process {i} release lock.\n================");
            Console.Out.Flush();
        }
    }
}
