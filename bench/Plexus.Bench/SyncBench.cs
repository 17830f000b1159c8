using System.Diagnostics;
using System.Globalization;
using Plexus.Processes;

namespace Plexus.Bench;

/// <summary>
/// Process queue and lock throughput beside Python's multiprocessing, measured in the same run
/// (bench/python/sync_bench.py runs as a subprocess): 1→1 small messages, 4 KiB payloads,
/// uncontended lock pairs and a lock handed between two processes.
/// </summary>
internal static class SyncBench
{
    private const int Small = 200_000;
    private const int Big = 20_000;
    private const int Uncontended = 10_000_000;
    private const int Contended = 2_000_000;
    private const int WarmRounds = 2;

    public static int Run(string[] args)
    {
        if (args is ["queue", ..])
        {
            return QueueOnly();
        }
        if (args is ["lock", ..])
        {
            for (int i = 0; i < 5; i++)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lock uncontended {UncontendedLock(),14:N0}   contended {ContendedLock(),14:N0} pairs/s"));
            }
            return 0;
        }
        Dictionary<string, double> python = RunPython();
        var plexus = new Dictionary<string, double>
        {
            ["queue_small_msgs"] = Best(() => QueueRate(new object?[] { 11, null, "hello" }, Small, ConsumeObjects)),
            ["queue_4k_mbs"] = Best(() => QueueRate(new byte[4096], Big, ConsumeBytes) * 4096 / 1e6),
            ["lock_uncontended_pairs"] = Best(UncontendedLock),
            ["lock_contended_pairs"] = Best(ContendedLock),
        };
        (string Key, string Label, double Target)[] rows =
        [
            ("queue_small_msgs", "queue 1->1 [11, null, \"hello\"] (msgs/s)", 10),
            ("queue_4k_mbs", "queue 1->1 4 KiB payloads (MB/s)", 3),
            ("lock_uncontended_pairs", "lock uncontended acquire/release (pairs/s)", 3),
            ("lock_contended_pairs", "lock 2-process contended (pairs/s)", 2),
        ];
        Console.WriteLine($"{"scenario",-46} {"Plexus",14} {"Python 3",14} {"ratio",8} {"target",8}");
        foreach ((string key, string label, double target) in rows)
        {
            double p = python.GetValueOrDefault(key, double.NaN);
            double ratio = plexus[key] / p;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{label,-46} {plexus[key],14:N0} {p,14:N0} {ratio,7:0.0}x {target,6:0}x {(ratio >= target ? "ok" : "BELOW TARGET")}"));
        }
        return 0;
    }

    /// <summary>`sync queue`: the two queue scenarios and the in-process put+get cost, without Python.</summary>
    private static int QueueOnly()
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"in-process put+get small: {LocalRate(new object?[] { 11, null, "hello" }, Small):N0}/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"in-process put+get 4 KiB: {LocalRate(new byte[4096], Big) * 4096 / 1e6:N0} MB/s"));
        for (int i = 0; i < 3; i++)
        {
            double small = QueueRate(new object?[] { 11, null, "hello" }, Small, ConsumeObjects);
            double big = QueueRate(new byte[4096], Big, ConsumeBytes) * 4096 / 1e6;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"queue small {small,12:N0} msgs/s   4 KiB {big,8:N0} MB/s"));
        }
        return 0;
    }

    private static double LocalRate<T>(T item, int n)
    {
        using var q = new ProcessQueue<T>(capacityBytes: 128 << 20);
        double best = 0;
        for (int round = 0; round < 5; round++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < n; i++)
            {
                q.Put(item);
            }
            long mid = Stopwatch.GetTimestamp();
            for (int i = 0; i < n; i++)
            {
                q.Get();
            }
            Console.WriteLine($"  put {Stopwatch.GetElapsedTime(start, mid).TotalNanoseconds / n:0} ns, get {Stopwatch.GetElapsedTime(mid).TotalNanoseconds / n:0} ns");
            best = Math.Max(best, n / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return best;
    }

    private static double Best(Func<double> measure) => Math.Max(measure(), measure());

    private static Dictionary<string, double> RunPython()
    {
        string script = Path.Combine(Repository.Root, "bench/python/sync_bench.py");
        var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        using Process process = Process.Start(info)!;
        var result = new Dictionary<string, double>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            string[] parts = line.Split(' ');
            result[parts[0]] = double.Parse(parts[1], CultureInfo.InvariantCulture);
        }
        process.WaitForExit();
        return result;
    }

    private static double QueueRate<T>(T item, int n, Action<ProcessQueue<T>, int, ProcessQueue<long>> consume)
    {
        using var q = new ProcessQueue<T>(capacityBytes: 8 << 20);
        using var done = new ProcessQueue<long>();
        using ChildProcess consumer = ChildProcess.Create(consume, q, n, done).Start();
        // Warm-up (the Python side does the same): two rounds of n/10 items, so both processes are
        // measured at steady state rather than while the JIT is still compiling their first calls.
        for (int round = 0; round < WarmRounds; round++)
        {
            for (int i = 0; i < n / 10; i++)
            {
                q.Put(item);
            }
            done.Get();
            Thread.Sleep(200);
        }
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            q.Put(item);
        }
        long end = done.Get();
        consumer.Join();
        return n / Stopwatch.GetElapsedTime(start, end).TotalSeconds;
    }

    // Child targets cannot be generic methods, hence one consumer per item type.
    private static void ConsumeObjects(ProcessQueue<object?[]> q, int n, ProcessQueue<long> done) => Consume(q, n, done);

    private static void ConsumeBytes(ProcessQueue<byte[]> q, int n, ProcessQueue<long> done) => Consume(q, n, done);

    private static void Consume<T>(ProcessQueue<T> q, int n, ProcessQueue<long> done)
    {
        for (int round = 0; round < WarmRounds; round++)
        {
            for (int i = 0; i < n / 10; i++)
            {
                q.Get();
            }
            done.Put(0);
        }
        for (int i = 0; i < n; i++)
        {
            q.Get();
        }
        done.Put(Stopwatch.GetTimestamp());
    }

    private static double UncontendedLock()
    {
        using var l = new ProcessLock();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < Uncontended; i++)
        {
            l.Acquire();
            l.Release();
        }
        return Uncontended / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double ContendedLock()
    {
        using var l = new ProcessLock();
        using var go = new ProcessEvent();
        using var times = new ProcessQueue<double>();
        using ChildProcess a = ChildProcess.Create(Hammer, l, go, times).Start();
        using ChildProcess b = ChildProcess.Create(Hammer, l, go, times).Start();
        Thread.Sleep(500);
        go.Set();
        double elapsed = Math.Max(times.Get(), times.Get());
        a.Join();
        b.Join();
        return 2.0 * Contended / elapsed;
    }

    private static void Hammer(ProcessLock l, ProcessEvent go, ProcessQueue<double> times)
    {
        go.Wait();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < Contended; i++)
        {
            l.Acquire();
            l.Release();
        }
        times.Put(Stopwatch.GetElapsedTime(start).TotalSeconds);
    }
}
