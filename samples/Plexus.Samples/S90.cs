using Plexus.Processes;

namespace Plexus.Samples;

/// <summary>
/// Not part of the tour: a parent for the orphan test. It starts a child that sleeps 60 s, prints the
/// child's pid and sleeps itself, so a test can SIGKILL this parent and check the child goes too.
/// </summary>
internal static class S90
{
    public static int Run(string[] args)
    {
        using ChildProcess child = ChildProcess.Create(Sleep).Start();
        Console.WriteLine($"child pid: {child.Pid}");
        Console.Out.Flush();
        Thread.Sleep(60_000);
        return 0;
    }

    private static void Sleep() => Thread.Sleep(60_000);
}
