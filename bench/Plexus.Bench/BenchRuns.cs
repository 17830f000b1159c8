using System.Diagnostics;
using System.Globalization;

/// <summary>
/// <c>--runs N</c>: runs a scenario N times, each in a fresh process (so every run measures a first
/// pool or child start, as a program meets it), prints each run with the load average beside it, and
/// ends with each target's ratios over the runs and how many runs met it.
/// </summary>
internal static class BenchRuns
{
    public static int Run(string scenario, string[] args, int runs)
    {
        var verdicts = new List<(int Run, string Label, double Ratio, bool Met)>();
        string path = Path.Combine(Path.GetTempPath(), $"plexus-bench-{Environment.ProcessId}.tsv");
        for (int run = 1; run <= runs; run++)
        {
            Console.WriteLine($"=== run {run} of {runs}: {scenario} {string.Join(' ', args)} | load average {LoadAverage()}");
            File.Delete(path);
            var info = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
            if (!Environment.ProcessPath!.EndsWith(Path.GetFileNameWithoutExtension(typeof(BenchRuns).Assembly.Location), StringComparison.Ordinal))
            {
                info.ArgumentList.Add(typeof(BenchRuns).Assembly.Location); // `dotnet Plexus.Bench.dll`
            }
            info.ArgumentList.Add(scenario);
            args.ToList().ForEach(info.ArgumentList.Add);
            info.Environment[Verdict.FileVariable] = path;
            using (Process process = Process.Start(info)!)
            {
                process.WaitForExit();
                if (process.ExitCode != 0)
                {
                    Console.Error.WriteLine($"run {run} failed with exit code {process.ExitCode}");
                    return process.ExitCode;
                }
            }
            if (File.Exists(path))
            {
                foreach (string line in File.ReadAllLines(path))
                {
                    string[] f = line.Split('\t');
                    verdicts.Add((run, f[0], double.Parse(f[1], CultureInfo.InvariantCulture), f[2] == "1"));
                }
            }
            Console.WriteLine($"=== run {run} ended | load average {LoadAverage()}");
        }
        File.Delete(path);
        Console.WriteLine();
        Console.WriteLine($"Summary of {runs} runs ({scenario}): ratio per run, and runs that met the target");
        foreach (IGrouping<string, (int Run, string Label, double Ratio, bool Met)> target in verdicts.GroupBy(v => v.Label))
        {
            string ratios = string.Join("  ", target.Select(v => v.Ratio.ToString("F2", CultureInfo.InvariantCulture) + "x"));
            int met = target.Count(v => v.Met);
            Console.WriteLine($"  {target.Key,-44} {ratios,-40} met in {met} of {target.Count()}{(met == target.Count() ? "" : "  <- not met in every run (the target asks for all)")}");
        }
        return 0;
    }

    /// <summary>The 1, 5 and 15-minute load averages (<c>uptime</c>'s), so noisy runs show as such.</summary>
    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
