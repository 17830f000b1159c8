using System.Diagnostics;

namespace Plexus.Faults;

/// <summary>
/// Runs a row: one warm-up trial (first use opens lasting descriptors: the control socket, the runtime's
/// own), then <c>repeat</c> counted trials, each followed by the shared leak checks. Prints
/// <c>row NAME: K/N passed, max T ms</c> and returns whether every trial passed.
/// </summary>
internal static class RowRunner
{
    private static readonly TimeSpan s_settle = TimeSpan.FromSeconds(5);

    public static bool Run(Row row, int repeat, int seed)
    {
        int self = Environment.ProcessId;
        HashSet<int> baselinePids = [];
        var failures = new List<string>();
        int passed = 0;
        double maxMs = 0;
        try
        {
            row.Setup();
            baselinePids = ProcFs.Descendants(self); // a server the row set up stays for every trial
            for (int i = 0; i <= repeat; i++)
            {
                var random = new Random(seed * 7919 + i);
                // Counts and listings come from one snapshot each, taken once the count has settled: a
                // descriptor opened between two reads of /proc, or for a moment (a thread's start opens a
                // pipe), would otherwise count as left open by the trial.
                Dictionary<int, string> linksBefore = i > 0 ? Settled(self, int.MaxValue) : ProcFs.FdTargets(self);
                int fdsBefore = NotAssemblies(linksBefore);
                var clock = Stopwatch.StartNew();
                string? failure = RunTrial(row, random);
                double ms = clock.Elapsed.TotalMilliseconds;
                failure ??= LeftProcesses(self, baselinePids);
                if (failure is null && i > 0)
                {
                    Dictionary<int, string> linksAfter = Settled(self, fdsBefore);
                    int fdsAfter = NotAssemblies(linksAfter);
                    if (fdsAfter > fdsBefore)
                    {
                        IEnumerable<string> added = linksAfter
                            .Where(kv => !linksBefore.TryGetValue(kv.Key, out string? was) || was != kv.Value)
                            .Select(kv => $"{kv.Key}->{kv.Value}");
                        failure = $"{fdsAfter - fdsBefore} descriptor(s) left open ({fdsBefore} before, {fdsAfter} after: {string.Join(' ', added)})";
                    }
                }
                if (i == 0)
                {
                    if (failure is not null)
                    {
                        failures.Add($"warm-up: {failure}");
                    }
                    continue;
                }
                maxMs = Math.Max(maxMs, ms);
                if (failure is null)
                {
                    passed++;
                }
                else
                {
                    failures.Add($"trial {i}: {failure}");
                }
                if (failure is not null && failure.StartsWith("HANG", StringComparison.Ordinal))
                {
                    break; // a hung trial still holds its threads; later trials would measure them
                }
            }
        }
        catch (Exception e)
        {
            failures.Add($"setup: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            try
            {
                row.Teardown();
            }
            catch (Exception e)
            {
                failures.Add($"teardown: {e.GetType().Name}: {e.Message}");
            }
        }
        foreach (string failure in failures.Take(6))
        {
            Console.WriteLine($"  {row.Name} {failure}");
        }
        Console.WriteLine($"row {row.Name}: {passed}/{repeat} passed, max {maxMs:F0} ms");
        return passed == repeat && failures.Count == 0;
    }

    private static string? RunTrial(Row row, Random random)
    {
        Task trial = Task.Factory.StartNew(() => row.Trial(random), TaskCreationOptions.LongRunning);
        try
        {
            if (!trial.Wait(row.Bound))
            {
                return $"HANG: trial still running after {row.Bound.TotalSeconds:F0} s";
            }
            return null;
        }
        catch (AggregateException e) when (e.InnerException is FaultCheckException check)
        {
            return check.Message;
        }
        catch (AggregateException e)
        {
            Exception inner = e.InnerException!;
            Console.Error.WriteLine($"{row.Name}: {inner}"); // the whole chain, for whoever debugs the row
            return $"unexpected {inner.GetType().Name}: {inner.Message.ReplaceLineEndings(" ")}";
        }
    }

    /// <summary>Every process this one started in the trial must be gone (reaped) within the settle bound.</summary>
    private static string? LeftProcesses(int self, HashSet<int> baseline)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            HashSet<int> left = ProcFs.Descendants(self);
            left.ExceptWith(baseline);
            foreach (int server in baseline)
            {
                left.ExceptWith(ProcFs.Descendants(server)); // a set-up server's children are its own business; its row checks them
            }
            if (left.Count == 0)
            {
                return null;
            }
            if (clock.Elapsed > s_settle)
            {
                foreach (int pid in left)
                {
                    Sys.Signal(pid, Sys.SigKill); // ours: started by this trial, never reaped
                }
                return $"{left.Count} process(es) left behind: {string.Join(' ', left)}";
            }
            Thread.Sleep(10);
        }
    }

    /// <summary>This process's descriptor count once finalizers ran, waiting up to the settle bound to reach <paramref name="target"/>.</summary>
    /// <summary>
    /// The descriptors once at most <paramref name="target"/> of them are not assemblies (or after
    /// <see cref="s_settle"/>): closing ones finish closing, finalizers run.
    /// </summary>
    private static Dictionary<int, string> Settled(int self, int target)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Dictionary<int, string> links = ProcFs.FdTargets(self);
            if (NotAssemblies(links) <= target || clock.Elapsed > s_settle)
            {
                return links;
            }
            Thread.Sleep(20);
        }
    }

    /// <summary>Descriptors other than assemblies: the runtime maps one the first time code needs it and keeps it (not a leak).</summary>
    private static int NotAssemblies(Dictionary<int, string> links) => links.Values.Count(t => !t.EndsWith(".dll", StringComparison.Ordinal));
}
