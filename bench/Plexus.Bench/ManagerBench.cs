using System.Diagnostics;
using System.Globalization;
using Plexus.Processes;

/// <summary>
/// Manager throughput beside Python's <c>multiprocessing.Manager</c> in the same run: dict set+get
/// ops/s from one client and from four client processes, and list appends/s. Plexus is measured
/// with plain blocking calls (one round trip each: through the shared-memory channel on a Unix
/// socket), pipelined calls (many in flight) and bulk calls.
/// </summary>
internal static class ManagerBench
{
    private const int Window = 512;

    public static int Run(string[] args)
    {
        int n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
        Dictionary<string, double> py = RunPython(Math.Min(n, 5000));
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();

        // Warm up both sides for long enough that the tiered JIT (which recompiles hot paths on a
        // background thread after a delay) has finished in the client and in the manager.
        ManagedList warm = manager.CreateList();
        Stopwatch warming = Stopwatch.StartNew();
        while (warming.ElapsedMilliseconds < 1000)
        {
            SetGetPipelined(d, 0, 1000);
            SetGetBlocking(d, 0, 1000);
            AppendPipelined(warm, 1000);
            for (int i = 0; i < 1000; i++)
            {
                warm.Add(i);
            }
            warm.Clear();
        }
        double blocking = 2.0 * n / Time(() => SetGetBlocking(d, 0, n));
        double pipelined = 2.0 * n / Time(() => SetGetPipelined(d, 0, n));
        double bulk = 2.0 * n / Time(() => SetGetBulk(d, 0, n));
        double four = FourClients(manager, n, pipelined: true);
        double fourBlocking = FourClients(manager, n / 2, pipelined: false);

        ManagedList l = manager.CreateList();
        double appendBlocking = n / Time(() => { for (int i = 0; i < n; i++) { l.Add(i); } });
        double appendPipelined = n / Time(() => AppendPipelined(l, n));
        double appendBulk = n / Time(() => l.AddRange(Enumerable.Range(0, n).Cast<object?>()));

        Console.WriteLine($"{"measure",-42} {"Plexus ops/s",14} {"Python ops/s",14} {"ratio",8}");
        Row("dict set+get, 1 client, blocking calls", blocking, py["dict1"]);
        Row("dict set+get, 1 client, pipelined", pipelined, py["dict1"]);
        Row("dict set+get, 1 client, bulk Update/GetMany", bulk, py["dict1"]);
        Row("dict set+get, 4 client processes, blocking", fourBlocking, py["dict4"]);
        Row("dict set+get, 4 client processes, pipelined", four, py["dict4"]);
        Row("list append, blocking calls", appendBlocking, py["list1"]);
        Row("list append, pipelined", appendPipelined, py["list1"]);
        Row("list append, bulk AddRange", appendBulk, py["list1"]);
        return 0;
    }

    private static void Row(string name, double plexus, double python) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-42} {plexus,14:N0} {python,14:N0} {plexus / python,7:F1}x"));

    private static double Time(Action action)
    {
        Stopwatch watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalSeconds;
    }

    private static void SetGetBlocking(ManagedDictionary d, int baseKey, int n)
    {
        for (int i = 0; i < n; i++)
        {
            d[baseKey + i] = i;
            _ = d[baseKey + i];
        }
    }

    private static void SetGetPipelined(ManagedDictionary d, int baseKey, int n)
    {
        List<Task> inFlight = new(Window);
        for (int i = 0; i < n; i++)
        {
            inFlight.Add(d.SetAsync(baseKey + i, i));
            inFlight.Add(d.GetAsync(baseKey + i));
            if (inFlight.Count >= Window)
            {
                Task.WaitAll(inFlight);
                inFlight.Clear();
            }
        }
        Task.WaitAll(inFlight);
    }

    private static void SetGetBulk(ManagedDictionary d, int baseKey, int n)
    {
        const int Batch = 1000;
        for (int i = 0; i < n; i += Batch)
        {
            int count = Math.Min(Batch, n - i);
            d.Update(Enumerable.Range(baseKey + i, count).Select(k => new KeyValuePair<object, object?>(k, k)));
            _ = d.GetMany(Enumerable.Range(baseKey + i, count).Cast<object>());
        }
    }

    private static void AppendPipelined(ManagedList l, int n)
    {
        List<Task> inFlight = new(Window);
        for (int i = 0; i < n; i++)
        {
            inFlight.Add(l.AddAsync(i));
            if (inFlight.Count >= Window)
            {
                Task.WaitAll(inFlight);
                inFlight.Clear();
            }
        }
        Task.WaitAll(inFlight);
    }

    private static void Client(ManagedDictionary d, ManagedLock start, ManagedQueue report, int index, int n, bool pipelined)
    {
        Action<ManagedDictionary, int, int> run = pipelined ? SetGetPipelined : SetGetBlocking;
        Stopwatch warming = Stopwatch.StartNew();
        while (warming.ElapsedMilliseconds < 500)
        {
            run(d, (index + 1) * 10_000_000, 1000);
        }
        report.Put("ready");
        start.Acquire();
        start.Release();
        long t0 = DateTime.UtcNow.Ticks;
        run(d, (index + 1) * 10_000_000, n);
        report.Put(new object?[] { t0, DateTime.UtcNow.Ticks });
    }

    private static double FourClients(ProcessManager manager, int n, bool pipelined)
    {
        ManagedDictionary d = manager.CreateDictionary();
        ManagedLock start = manager.CreateLock();
        ManagedQueue report = manager.CreateQueue();
        start.Acquire();
        List<ChildProcess> children = [];
        try
        {
            for (int k = 0; k < 4; k++)
            {
                children.Add(ChildProcess.Create(Client, d, start, report, k, n, pipelined).Start());
            }
            for (int k = 0; k < 4; k++)
            {
                report.Get();
            }
            start.Release();
            long first = long.MaxValue, last = 0;
            for (int k = 0; k < 4; k++)
            {
                object?[] span = (object?[])report.Get()!;
                first = Math.Min(first, Convert.ToInt64(span[0], CultureInfo.InvariantCulture));
                last = Math.Max(last, Convert.ToInt64(span[1], CultureInfo.InvariantCulture));
            }
            return 4.0 * 2 * n / TimeSpan.FromTicks(last - first).TotalSeconds;
        }
        finally
        {
            foreach (ChildProcess child in children)
            {
                child.Join(TimeSpan.FromSeconds(30));
                child.Dispose();
            }
        }
    }

    private static Dictionary<string, double> RunPython(int n)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "manager_bench.py");
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            string candidate = Path.Combine(dir, "bench", "python", "manager_bench.py");
            if (File.Exists(candidate))
            {
                script = candidate;
                break;
            }
        }
        using Process p = Process.Start(new ProcessStartInfo("python3", [script, n.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true })!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Dictionary<string, double> numbers = [];
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = line.Split(' ');
            numbers[parts[0]] = double.Parse(parts[1], CultureInfo.InvariantCulture);
        }
        foreach (string key in new[] { "dict1", "dict4", "list1" })
        {
            if (!numbers.ContainsKey(key))
            {
                throw new InvalidOperationException($"the Python baseline printed no '{key}' (exit code {p.ExitCode}): {output}");
            }
        }
        return numbers;
    }
}
