using System.Diagnostics;
using System.Globalization;
using Plexus.Processes;

/// <summary>
/// ProcessPool(2) beside Python's multiprocessing.Pool(2) (spawn) in the same run: pool start,
/// apply round trips, apply_async and map throughput; then a CPU-bound workload run sequentially,
/// on threads and on the pool, for the docs.
/// </summary>
internal static class PoolBench
{
    private const int CpuItems = 16;
    private const int CpuIterations = 20_000_000;

    public static int Run(string[] args)
    {
        Dictionary<string, double> python = RunPython();
        var plexus = new Dictionary<string, double>();

        var clock = Stopwatch.StartNew();
        using (var pool = new ProcessPool(2))
        {
            pool.Apply(Noop, 1);
            plexus["start_ms"] = clock.Elapsed.TotalMilliseconds;
            // Let the second worker come up too before measuring throughput.
            pool.Map(Noop, Enumerable.Range(0, 100), chunkSize: 1);

            int n = 20_000;
            clock.Restart();
            for (int i = 0; i < n; i++)
            {
                pool.Apply(Noop, i);
            }
            plexus["apply_per_s"] = n / clock.Elapsed.TotalSeconds;

            n = 20_000;
            clock.Restart();
            AsyncResult<int>[] results = new AsyncResult<int>[n];
            for (int i = 0; i < n; i++)
            {
                results[i] = pool.ApplyAsync(Noop, i);
            }
            foreach (AsyncResult<int> r in results)
            {
                r.Get();
            }
            plexus["apply_async_per_s"] = n / clock.Elapsed.TotalSeconds;

            n = 200_000;
            int[] items = Enumerable.Range(0, n).ToArray();
            clock.Restart();
            pool.Map(Noop, items);
            plexus["map_per_s"] = n / clock.Elapsed.TotalSeconds;
        }

        Console.WriteLine($"ProcessPool(2) vs Python multiprocessing.Pool(2), same run (load average {BenchRuns.LoadAverage()})");
        Console.WriteLine($"{"metric",-28}{"Plexus",14}{"Python",14}{"ratio",9}  {"target",-10}verdict");
        Row("pool start + first result ms", plexus, python, "start_ms", lowerIsBetter: true, atLeast: 1, "<= Python");
        Row("apply round trips/s", plexus, python, "apply_per_s", lowerIsBetter: false, atLeast: 5, ">= 5x");
        Row("apply_async 20k tasks/s", plexus, python, "apply_async_per_s", lowerIsBetter: false, atLeast: 5, ">= 5x");
        Row("map 200k items/s", plexus, python, "map_per_s", lowerIsBetter: false, atLeast: 3, ">= 3x");

        // CPU-bound: the seed's first lesson (threads vs processes), measured in .NET.
        clock.Restart();
        long sequential = Enumerable.Range(0, CpuItems).Sum(_ => (long)Work(CpuIterations));
        double seqMs = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        long threaded = Enumerable.Range(0, CpuItems).AsParallel().WithDegreeOfParallelism(2).Sum(_ => (long)Work(CpuIterations));
        double threadMs = clock.Elapsed.TotalMilliseconds;
        double poolMs;
        long pooled;
        using (var pool = new ProcessPool(2))
        {
            pool.Apply(Work, 1);
            clock.Restart();
            pooled = pool.Map(Work, Enumerable.Repeat(CpuIterations, CpuItems), chunkSize: 1).Sum(x => (long)x);
            poolMs = clock.Elapsed.TotalMilliseconds;
        }
        if (sequential != threaded || sequential != pooled)
        {
            Console.Error.WriteLine("CPU workload results differ");
            return 1;
        }
        Console.WriteLine();
        Console.WriteLine($"CPU-bound ({CpuItems} x {CpuIterations:N0} LCG steps), {Environment.ProcessorCount} cores:");
        Console.WriteLine($"  sequential  {seqMs,8:F0} ms  1.00x");
        Console.WriteLine($"  2 threads   {threadMs,8:F0} ms  {seqMs / threadMs:F2}x");
        Console.WriteLine($"  pool of 2   {poolMs,8:F0} ms  {seqMs / poolMs:F2}x   (.NET threads run in parallel: no GIL; Python needs processes for this)");
        return 0;
    }

    private static int Noop(int x) => x;

    private static int Work(int n)
    {
        int x = 0;
        for (int i = 0; i < n; i++)
        {
            x = (int)(((long)x * 1103515245 + 12345 + i) & 0x7FFFFFFF);
        }
        return x;
    }

    /// <summary>One metric beside Python's; the target is met when the speed-up (Python's time over ours, or our rate over Python's) is at least <paramref name="atLeast"/>.</summary>
    private static void Row(string label, Dictionary<string, double> plexus, Dictionary<string, double> python, string key, bool lowerIsBetter, double atLeast, string target)
    {
        double ours = plexus[key];
        double theirs = python.GetValueOrDefault(key, double.NaN);
        double ratio = lowerIsBetter ? theirs / ours : ours / theirs;
        string verdict = Verdict.Of($"pool: {label}", ratio, ratio >= atLeast);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-28}{ours,14:N0}{theirs,14:N0}{ratio,8:F2}x  {target,-10}{verdict}"));
    }

    private static Dictionary<string, double> RunPython()
    {
        string script = Path.Combine(Repository.Root, "bench/python/pool_bench.py");
        var info = new ProcessStartInfo("python3", [script]) { RedirectStandardOutput = true };
        using Process process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' '))
            .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
    }
}
