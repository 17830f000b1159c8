using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Plexus.Processes;
using Plexus.Redis;

/// <summary>
/// RedisPool against a local redis-server and one `plexus worker --processes 2` on loopback,
/// beside ProcessPool(2) in the same run: no-op tasks/s (one entry per task), map items/s, and the
/// p50/p99 of one Apply round trip; Python RQ on the same server as a second baseline when
/// python3-rq is installed. Needs redis-server (apt-get install redis-server).
/// </summary>
internal static partial class RedisBench
{
    private static readonly string[] s_serverPaths = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"];
    private static readonly (string Key, string Label)[] s_metrics =
    [
        ("tasks_per_s", "no-op tasks/s (1 entry each)"), ("map_per_s", "map items/s (chunks of 1,000)"),
        ("p50_us", "Apply round trip p50 us"), ("p99_us", "Apply round trip p99 us"),
    ];

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
            worker = Process.Start(new ProcessStartInfo("dotnet",
                [NativeClientBench.FindPlexus(), "worker", "--redis", url, "--app", typeof(RedisBench).Assembly.Location, "--processes", "2", "--status-interval", "3600"])
            { RedirectStandardOutput = true })!;
            var remote = Measure(pool);
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
                Console.WriteLine($"{label,-30}{remote[key],12:N0}{local[key],14:N0}{remote[key] / local[key],8:0.00}x{Against(rq)}{Against(celery)}");

                string Against(Dictionary<string, double>? other)
                    => other is not null && other.TryGetValue(key, out double v) ? $"{v,10:N0}{remote[key] / v,8:0.00}x " : $"{"-",10}{"",9}";
            }
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
