using System.Diagnostics;
using System.Globalization;

namespace Plexus.Faults;

/// <summary>
/// <c>soak MINUTES OUTDIR</c>: runs <see cref="SoakWorkload"/>, samples every 10 s, writes
/// <c>soak.csv</c>, <c>soak.png</c> and <c>soak.txt</c> (the verdict), and fails if a long-lived
/// process's RSS (limit: 16 MiB or 10% of its level), descriptors (4) or threads (4), or the number of
/// processes (2), grows without bound by <see cref="GrowthTest"/>, or if the workload reported an error.
/// </summary>
internal static class Soak
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(10);

    public static int Run(TimeSpan length, string outDir)
    {
        string dll = Environment.GetEnvironmentVariable("PLEXUS_DLL") ?? throw new InvalidOperationException("PLEXUS_DLL is not set: run faults/soak.sh");
        Directory.CreateDirectory(outDir);
        var samples = new List<SoakSample>();
        var counts = new List<(double Minutes, double Value)>();
        using var workload = new SoakWorkload(dll);
        workload.Start();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            double minutes = clock.Elapsed.TotalMinutes;
            List<SoakSample> now = [.. SoakSampler.Sample(minutes, workload.Roles)];
            samples.AddRange(now);
            counts.Add((minutes, now.Count));
            SoakSample self = now.First(s => s.Pid == Environment.ProcessId);
            Console.WriteLine($"soak {minutes,5:F1} min: {now.Count} processes, parent RSS {self.RssKiB / 1024} MiB, {self.Descriptors} fds, {self.Threads} threads; {workload.Rounds} rounds, {workload.Errors.Count} errors");
            if (clock.Elapsed >= length)
            {
                break;
            }
            Thread.Sleep(s_interval - TimeSpan.FromTicks(clock.Elapsed.Ticks % s_interval.Ticks));
        }
        workload.Stop();
        // What the parent holds at the end, by kind: where to look first if its descriptors grew.
        File.WriteAllLines(Path.Combine(outDir, "soak-fds.txt"), ProcFs.FdTargets(Environment.ProcessId).Values
            .Select(t => t.Contains(':', StringComparison.Ordinal) ? t[..t.IndexOf(':', StringComparison.Ordinal)] : t)
            .GroupBy(k => k).OrderByDescending(g => g.Count()).Select(g => $"{g.Count(),5} {g.Key}"));

        var verdicts = new List<string>();
        bool failed = false;
        double soakMinutes = clock.Elapsed.TotalMinutes;
        foreach (IGrouping<string, SoakSample> role in samples.Where(s => s.Role != SoakSampler.Other).GroupBy(s => s.Role))
        {
            double rssLevel = role.Average(s => s.RssKiB) / 1024.0;
            foreach ((string metric, Func<SoakSample, double> value, double limit) in new (string, Func<SoakSample, double>, double)[]
            {
                ("RSS MiB", s => s.RssKiB / 1024.0, Math.Max(16, rssLevel * 0.10)),
                ("descriptors", s => s.Descriptors, 4),
                ("threads", s => s.Threads, 4),
            })
            {
                (bool grows, double slope, double m1, double m2) = GrowthTest.Judge([.. role.Select(s => (s.Minutes, value(s)))], limit, soakMinutes);
                failed |= grows;
                verdicts.Add($"{(grows ? "GROWS" : "flat "),-5} {role.Key,-24} {metric,-11} first half {m1,8:F1}, second half {m2,8:F1}, slope {slope,7:F3}/min (limit {limit:F1} over {soakMinutes:F0} min)");
            }
        }
        (bool more, double s2, double c1, double c2) = GrowthTest.Judge(counts, 2, soakMinutes);
        failed |= more;
        verdicts.Add($"{(more ? "GROWS" : "flat "),-5} {"process count",-24} {"processes",-11} first half {c1,8:F1}, second half {c2,8:F1}, slope {s2,7:F3}/min (limit 2.0 over {soakMinutes:F0} min)");
        IReadOnlyList<string> errors = workload.Errors;
        failed |= errors.Count > 0;
        verdicts.AddRange(errors.Take(10).Select(e => $"ERROR {e}"));
        string summary = $"soak {soakMinutes:F0} min: {(failed ? "FAILED" : "flat")}, {workload.Rounds} workload rounds, {errors.Count} errors, {samples.Count} samples";
        verdicts.Add(summary);

        File.WriteAllLines(Path.Combine(outDir, "soak.csv"),
            samples.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Minutes:F3},{s.Pid},{s.Role},{s.RssKiB},{s.Descriptors},{s.Threads}"))
                .Prepend("minutes,pid,role,rss_kib,descriptors,threads"));
        File.WriteAllLines(Path.Combine(outDir, "soak.txt"), verdicts);
        SoakChart.Save(samples, Path.Combine(outDir, "soak.png"), $"{soakMinutes:F0} min soak: {(failed ? "FAILED" : "flat")}");
        foreach (string line in verdicts)
        {
            Console.WriteLine(line);
        }
        return failed ? 1 : 0;
    }
}
