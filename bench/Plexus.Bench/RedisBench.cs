using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Plexus.Processes;
using Plexus.Redis;

/// <summary>
/// RedisPool against a local redis-server and one `plexus worker --processes 2` on loopback,
/// beside ProcessPool(2) in the same run: no-op tasks/s (one entry per task), map items/s, and the
/// p50/p99 of one Apply round trip and the idle RSS of the worker's process tree; Python RQ and
/// Celery on the same server as baselines when installed; then the recovery from a worker host
/// SIGKILLed mid-task. Needs redis-server (apt-get install redis-server).
/// </summary>
internal static partial class RedisBench
{
    private static readonly string[] s_serverPaths = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"];
    private static readonly (string Key, string Label)[] s_metrics =
    [
        ("tasks_per_s", "no-op tasks/s (1 entry each)"), ("map_per_s", "map items/s (chunks of 1,000)"),
        ("p50_us", "Apply round trip p50 us"), ("p99_us", "Apply round trip p99 us"),
        ("idle_rss_kb", "idle worker RSS KiB (tree)"),
    ];
    private const double KillVisibilitySeconds = 3;
    private const int SleepTaskMilliseconds = 2_000;

    public static int Run(string[] args)
    {
        string? server = s_serverPaths.FirstOrDefault(File.Exists);
        if (server is null)
        {
            Console.Error.WriteLine("redis bench: redis-server is not installed; apt-get install -y redis-server");
            return 2;
        }
        string dir = Directory.CreateTempSubdirectory("plexus-redis-bench-").FullName;
        string password = Guid.NewGuid().ToString("N");
        int port = FreePort();
        using Process redis = Process.Start(new ProcessStartInfo(server,
            ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", dir, "--requirepass", password, "--save", "", "--appendonly", "no", "--logfile", ""])
        { RedirectStandardOutput = true })!;
        Process? worker = null;
        try
        {
            string url = $"redis://:{password}@127.0.0.1:{port}";
            using RedisPool pool = Connect(url);
            worker = StartWorker(url, "--processes", "2");
            pool.Map(Noop, Enumerable.Range(0, 200), chunkSize: 1); // both processes up and warm
            long idleRss = IdleTreeRssKb(worker.Id);
            var remote = Measure(pool);
            remote["idle_rss_kb"] = idleRss;
            Dictionary<string, double> local;
            using (var processPool = new ProcessPool(2))
            {
                local = Measure(processPool);
            }
            Dictionary<string, double>? rq = RunRq(url, dir);
            Dictionary<string, double>? celery = RunCelery(url, dir);
            Console.WriteLine("RedisPool (loopback redis-server, 1 worker host x 2 processes) vs ProcessPool(2), Python RQ (2 rq workers) and Celery (-c 2), same run");
            Console.WriteLine($"{"metric",-30}{"Redis",12}{"local",14}{"ratio",9}{"RQ",10}{"vs RQ",9}{"Celery",10}{"vs Celery",11}");
            foreach ((string key, string label) in s_metrics)
            {
                string localValue = local.TryGetValue(key, out double l) ? $"{l,14:N0}{remote[key] / l,8:0.00}x" : $"{"-",14}{"",9}";
                Console.WriteLine($"{label,-30}{remote[key],12:N0}{localValue}{Against(rq)}{Against(celery)}");

                string Against(Dictionary<string, double>? other)
                    => other is not null && other.TryGetValue(key, out double v) ? $"{v,10:N0}{remote[key] / v,8:0.00}x " : $"{"-",10}{"",9}";
            }
            PrintKillRecovery(url);
            PrintTargets(remote, rq, celery);
            return 0;
        }
        finally
        {
            if (worker is { HasExited: false })
            {
                worker.Kill(entireProcessTree: true);
                worker.WaitForExit();
            }
            redis.Kill();
            redis.WaitForExit();
            Directory.Delete(dir, recursive: true);
        }
    }

    public static int Noop(int x) => x;

    /// <summary>The kill scenario's task: leaves a file named by its PID in <paramref name="markers"/>, then sleeps.</summary>
    public static int SleepInChild(string markers)
    {
        File.WriteAllText(Path.Combine(markers, Environment.ProcessId.ToString(CultureInfo.InvariantCulture)), "");
        Thread.Sleep(SleepTaskMilliseconds);
        return Environment.ProcessId;
    }

    private static Process StartWorker(string url, params string[] options)
        => Process.Start(new ProcessStartInfo("dotnet",
            [NativeClientBench.FindPlexus(), "worker", "--redis", url, "--app", typeof(RedisBench).Assembly.Location, "--status-interval", "3600", .. options])
        { RedirectStandardOutput = true })!;

    /// <summary>
    /// Two worker hosts on their own queue with a short visibility timeout; the host whose child runs
    /// the one task is SIGKILLed (with its children, as when a machine dies) once the task has
    /// started; prints how long until the other host re-ran it and until its result arrived.
    /// </summary>
    private static void PrintKillRecovery(string url)
    {
        string markers = Directory.CreateTempSubdirectory("plexus-redis-kill-").FullName;
        string visibility = KillVisibilitySeconds.ToString(CultureInfo.InvariantCulture);
        Process[] hosts = [StartWorker(url, "--queue", "kill", "--processes", "1", "--visibility-timeout", visibility),
            StartWorker(url, "--queue", "kill", "--processes", "1", "--visibility-timeout", visibility)];
        try
        {
            using RedisPool pool = RedisPool.Connect(url, new RedisPoolOptions { Queue = "kill" });
            Task<int> result = pool.SubmitAsync(SleepInChild, markers);
            int first = WaitForMarker(markers, except: 0);
            Process victim = hosts.Single(h => TreeOf(h.Id).Contains(first));
            var clock = Stopwatch.StartNew();
            victim.Kill(entireProcessTree: true);
            WaitForMarker(markers, except: first);
            double rerun = clock.Elapsed.TotalSeconds;
            if (!result.Wait(TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException("redis bench: the killed worker's task did not finish within 60 s of the kill");
            }
            double done = clock.Elapsed.TotalSeconds;
            double task = SleepTaskMilliseconds / 1000.0;
            double limit = KillVisibilitySeconds + 1;
            Console.WriteLine($"worker host SIGKILLed mid-task ({task:0} s sleep, --visibility-timeout {visibility} s): result {done:0.00} s after the kill, re-run started after {rerun:0.00} s");
            // the re-run sleeps the whole task again: kill -> result is at least kill -> re-run start plus the task
            Console.WriteLine($"target kill -> result <= visibility timeout + 1 s ({limit:0} s): {Verdict(done <= limit)}; kill -> re-run start <= {limit:0} s: {Verdict(rerun <= limit)}");
        }
        finally
        {
            foreach (Process host in hosts)
            {
                if (!host.HasExited)
                {
                    host.Kill(entireProcessTree: true);
                }
                host.WaitForExit();
                host.Dispose();
            }
            Directory.Delete(markers, recursive: true);
        }
    }

    /// <summary>The PID of the first marker file not named <paramref name="except"/>.</summary>
    private static int WaitForMarker(string markers, int except)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            foreach (string file in Directory.GetFiles(markers))
            {
                int pid = int.Parse(Path.GetFileName(file), CultureInfo.InvariantCulture);
                if (pid != except)
                {
                    return pid;
                }
            }
            Thread.Sleep(5);
        }
        throw new TimeoutException("redis bench: no worker started the kill scenario's task within 60 s; is `plexus worker` running?");
    }

    private static void PrintTargets(Dictionary<string, double> plexus, Dictionary<string, double>? rq, Dictionary<string, double>? celery)
    {
        Console.WriteLine($"target no-op tasks/s >= 100x RQ: {Compare(rq, "tasks_per_s", v => plexus["tasks_per_s"] >= 100 * v)}, >= 30x Celery: {Compare(celery, "tasks_per_s", v => plexus["tasks_per_s"] >= 30 * v)}");
        foreach (string key in (string[])["p50_us", "p99_us"])
        {
            Console.WriteLine($"target Apply {key[..3]} <= 1/5 of RQ's: {Compare(rq, key, v => plexus[key] * 5 <= v)}, of Celery's: {Compare(celery, key, v => plexus[key] * 5 <= v)}");
        }
        Console.WriteLine($"redis: Plexus {plexus["tasks_per_s"]:0} tasks/s, RQ {Value(rq)} tasks/s, Celery {Value(celery)} tasks/s");

        static string Value(Dictionary<string, double>? other) => other is null ? "-" : other["tasks_per_s"].ToString("0", CultureInfo.InvariantCulture);
    }

    private static string Compare(Dictionary<string, double>? other, string key, Func<double, bool> met)
        => other is not null && other.TryGetValue(key, out double v) ? Verdict(met(v)) : "not measured";

    private static string Verdict(bool met) => met ? "met" : "not met";

    /// <summary>VmRSS summed over <paramref name="root"/> and its descendants, after a second of idling.</summary>
    private static long IdleTreeRssKb(int root)
    {
        Thread.Sleep(1_000);
        long total = 0;
        foreach (int pid in TreeOf(root))
        {
            try
            {
                string? line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                total += line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // the process exited between the scan and the read: it holds no memory
            }
        }
        return total;
    }

    /// <summary><paramref name="root"/> and every process descended from it, from the parent PIDs in /proc/*/stat.</summary>
    private static HashSet<int> TreeOf(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
            {
                continue;
            }
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // after the command name in parentheses (which may hold spaces): state, then the parent PID
                int parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                (children.TryGetValue(parent, out List<int>? list) ? list : children[parent] = []).Add(pid);
            }
            catch (IOException)
            {
                // exited during the scan
            }
        }
        var tree = new HashSet<int> { root };
        var pending = new Stack<int>([root]);
        while (pending.TryPop(out int pid))
        {
            foreach (int child in children.GetValueOrDefault(pid) ?? [])
            {
                if (tree.Add(child))
                {
                    pending.Push(child);
                }
            }
        }
        return tree;
    }

    private static Dictionary<string, double> Measure(IProcessPool pool)
    {
        pool.Map(Noop, Enumerable.Range(0, 200), chunkSize: 1); // workers up and warm
        var result = new Dictionary<string, double>();
        var latencies = new double[3_000];
        var clock = new Stopwatch();
        for (int i = 0; i < latencies.Length; i++)
        {
            clock.Restart();
            pool.Apply(Noop, i);
            latencies[i] = clock.Elapsed.TotalMicroseconds;
        }
        Array.Sort(latencies);
        result["p50_us"] = latencies[latencies.Length / 2];
        result["p99_us"] = latencies[latencies.Length * 99 / 100];

        int n = 20_000;
        clock.Restart();
        Task<int>[] tasks = new Task<int>[n];
        for (int i = 0; i < n; i++)
        {
            tasks[i] = pool.SubmitAsync(Noop, i);
        }
        Task.WaitAll(tasks);
        result["tasks_per_s"] = n / clock.Elapsed.TotalSeconds;

        n = 200_000;
        clock.Restart();
        pool.Map(Noop, Enumerable.Range(0, n), chunkSize: 1_000);
        result["map_per_s"] = n / clock.Elapsed.TotalSeconds;
        return result;
    }

    private static RedisPool Connect(string url)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return RedisPool.Connect(url);
            }
            catch (RedisPoolConnectionException) when (attempt < 100)
            {
                Thread.Sleep(50); // redis-server is still starting
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
