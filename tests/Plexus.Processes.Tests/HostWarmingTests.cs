using System.Globalization;

namespace Plexus.Processes.Tests;

/// <summary>
/// Hosts started ahead of their work: the warm host a program gets after its second start is used by
/// the next start and ends with the program; a host started for a start that then fails is ended too.
/// Each case runs in a child of its own (the "program"), so its process-wide state and its exit are its own.
/// </summary>
public class HostWarmingTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(90);

    [Fact]
    public void The_second_start_warms_a_host_that_the_next_start_uses_and_the_program_exit_ends()
    {
        string log = Path.Combine(Path.GetTempPath(), $"plexus-warm-{Guid.NewGuid():N}");
        try
        {
            using (ChildProcess program = ChildProcess.Create(StartsThreeChildren, log).Start())
            {
                Assert.True(program.Join(s_patience), "the program did not finish");
                Assert.True(program.ExitCode == 0, $"the program failed: {program.Error?.Message}");
            }
            string[] lines = ProcessLog.ReadLines(log);
            int warm = Number(lines, "warm");
            Assert.Equal(warm, Number(lines, "third"));
            int[] left = lines.Single(l => l.StartsWith("children", StringComparison.Ordinal)).Split(' ').Skip(1).Select(int.Parse).ToArray();
            Assert.NotEmpty(left); // the warm host that replaced the one the third start took
            foreach (int pid in left)
            {
                Assert.True(WaitUntil(() => !Procs.Alive(pid)), $"host {pid} outlived the program that started it");
            }
        }
        finally
        {
            ProcessLog.Delete(log);
        }
    }

    [Fact]
    public void A_start_refused_for_its_arguments_leaves_no_host_behind()
    {
        string log = Path.Combine(Path.GetTempPath(), $"plexus-dismiss-{Guid.NewGuid():N}");
        try
        {
            using (ChildProcess program = ChildProcess.Create(StartsWithABadArgument, log).Start())
            {
                Assert.True(program.Join(s_patience), "the program did not finish");
                Assert.True(program.ExitCode == 0, $"the program failed: {program.Error?.Message}");
            }
            Assert.Equal(["refused", "no child left"], ProcessLog.ReadLines(log));
        }
        finally
        {
            ProcessLog.Delete(log);
        }
    }

    private static void StartsThreeChildren(string log)
    {
        for (int i = 0; i < 2; i++)
        {
            using ChildProcess child = ChildProcess.Create(ChildProcessTests.Nothing).Start();
            child.Join();
        }
        // The two children are reaped: the one child left is the warm host the second start asked for.
        int[] children = [];
        Require(WaitUntil(() => (children = Procs.ChildrenOf(Environment.ProcessId)).Length == 1), "no warm host appeared after the second start");
        ProcessLog.Append(log, $"warm {children[0]}");
        using (ChildProcess third = ChildProcess.Create(ChildProcessTests.Nothing).Start())
        {
            ProcessLog.Append(log, $"third {third.Pid}");
            third.Join();
            Require(WaitUntil(() => (children = Procs.ChildrenOf(Environment.ProcessId)).Length == 1), "no host replaced the warm one the third start took");
        }
        ProcessLog.Append(log, "children " + string.Join(' ', children));
    }

    private static void StartsWithABadArgument(string log)
    {
        try
        {
            ChildProcess.Create(TakesAnything, (object?)new Thread(() => { })).Start();
        }
        catch (ArgumentException)
        {
            ProcessLog.Append(log, "refused");
        }
        Require(WaitUntil(() => Procs.ChildrenOf(Environment.ProcessId).Length == 0), "the host started for the refused start is still running");
        ProcessLog.Append(log, "no child left");
    }

    private static void TakesAnything(object? value) => GC.KeepAlive(value);

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    private static int Number(string[] lines, string key) =>
        int.Parse(lines.Single(l => l.StartsWith(key + " ", StringComparison.Ordinal))[(key.Length + 1)..], CultureInfo.InvariantCulture);

    private static bool WaitUntil(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + s_patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            Thread.Sleep(10);
        }
        return true;
    }
}
