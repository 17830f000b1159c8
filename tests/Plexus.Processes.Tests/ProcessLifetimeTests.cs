using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Plexus.Processes.Tests;

/// <summary>
/// Tests that run alone, after the parallel ones: counting this process's descriptors needs no other
/// test opening pipes meanwhile, and the samples' loose time bound needs the cores free of our own children.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public class RunAlone
{
    public const string Name = "run alone";
}

[Collection(RunAlone.Name)]
public class ProcessLifetimeTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(30);

    [Fact]
    public void Dispose_leaves_no_zombies_and_no_leaked_descriptors()
    {
        // A warm host holds a descriptor here while it waits: none is kept, so the count is the starts' alone.
        ChildProcess.Prestart(0);
        Plexus.Processes.Hosting.HostSpawner.StopIdle();
        // The first start creates a control listener that lives for the process: warm it up first.
        using (ChildProcess warm = ChildProcess.Create(ChildProcessTests.Nothing).Start())
            Assert.True(warm.Join(s_long));
        Dictionary<string, string?> before = OpenDescriptors();

        var pids = new List<int>();
        for (int i = 0; i < 10; i++)
        {
            (Connection mine, Connection theirs) = ProcessPipe.Create();
            using (mine)
            using (ChildProcess child = ChildProcess.Create(Echo, theirs).Start())
            {
                pids.Add(child.Pid);
                mine.Send(i);
                Assert.Equal(i, mine.Receive<int>());
                Assert.True(child.Join(s_long));
            }
        }
        // A sleeping child disposed while alive must be killed and reaped too.
        using (ChildProcess sleeper = ChildProcess.Create(ChildProcessTests.Sleep, 60_000).Start())
            pids.Add(sleeper.Pid);

        foreach (int pid in pids)
            Assert.False(ExistsOrZombie(pid), $"child {pid} is still in the process table");
        // The runtime maps an assembly the first time code needs it (a .dll descriptor that stays): not a leak.
        Dictionary<string, string?> after = OpenDescriptors();
        static int NotAssemblies(Dictionary<string, string?> fds) => fds.Values.Count(t => t?.EndsWith(".dll", StringComparison.Ordinal) != true);
        IEnumerable<string> added = after.Where(d => !before.TryGetValue(d.Key, out string? was) || was != d.Value).Select(d => $"{d.Key}->{d.Value}");
        Assert.True(NotAssemblies(after) <= NotAssemblies(before), $"descriptors left open: {string.Join(", ", added)}");
    }

    private static Dictionary<string, string?> OpenDescriptors() =>
        Directory.GetFiles("/proc/self/fd").ToDictionary(f => Path.GetFileName(f), f => new FileInfo(f).LinkTarget);

    [Fact]
    public async Task A_child_never_outlives_a_parent_killed_with_SIGKILL()
    {
        using Process parent = SampleRunner.Start("s90");
        int childPid = 0;
        try
        {
            string? line = await parent.StandardOutput.ReadLineAsync().WaitAsync(s_long);
            Match m = Regex.Match(line ?? "", "child pid: ([0-9]+)");
            Assert.True(m.Success, line);
            childPid = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Directory.Exists($"/proc/{childPid}"));

            parent.Kill();
            Assert.True(parent.WaitForExit(s_long));
            var clock = Stopwatch.StartNew();
            while (Alive(childPid) && clock.Elapsed < TimeSpan.FromSeconds(10))
                await Task.Delay(50);
            Assert.False(Alive(childPid), $"child {childPid} outlived its killed parent");
        }
        finally
        {
            if (!parent.HasExited) parent.Kill();
            if (childPid != 0 && Alive(childPid)) Native.ProcessIds.Signal(childPid, Native.ProcessIds.SigKill);
        }
    }

    /// <summary>Running or stopped; a zombie already ran to the end (its reaper is init, not us).</summary>
    private static bool Alive(int pid) => State(pid) is { } s && s != 'Z' && s != 'X';

    private static bool ExistsOrZombie(int pid) => State(pid) is not null;

    private static char? State(int pid)
    {
        try
        {
            foreach (string l in File.ReadLines($"/proc/{pid}/status"))
                if (l.StartsWith("State:", StringComparison.Ordinal))
                    return l[6..].Trim()[0];
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    private static void Echo(Connection c)
    {
        using (c)
            c.Send(c.Receive<int>());
    }
}
