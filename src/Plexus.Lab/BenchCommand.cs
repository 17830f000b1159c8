using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Plexus.Lab.Bench;
using Plexus.Lab.Load;
using Plexus.Lab.Models;
using Plexus.Native;

namespace Plexus.Lab;

/// <summary>
/// <c>plexus bench</c>: every model as its own <c>plexus serve</c> process, loaded in turn at each
/// connection level by the in-process load client (one thread), with the server tree's CPU time
/// and RSS sampled over exactly the measured window. A level above <see cref="DefaultLoadShare"/>
/// is loaded by several <c>plexus load</c> processes over several source addresses
/// (<see cref="LoadProcesses"/>), as no one process may hold that many descriptors.
/// </summary>
internal static class BenchCommand
{
    public const string Baseline = "dotnet-async";
    public const int ProcessesCap = 64;

    /// <summary>
    /// Connections per load process and per server worker: well under the usual hard descriptor
    /// limit (20,000 here), so that SO_REUSEPORT's uneven spread over the workers stays under it too.
    /// </summary>
    public const int DefaultLoadShare = 15_000;

    /// <summary>Descriptors a server process holds besides its connections (listener, runtime, epoll sets).</summary>
    private const int DescriptorReserve = 100;

    /// <summary>The models that spread their connections over worker processes (<c>--workers</c>).</summary>
    private static readonly string[] s_multiProcessModels = ["prefork", "io-uring"];

    /// <summary>The default models, in the order of the seed's five I/O models (<see cref="ModelGroups"/>).</summary>
    public static readonly string[] DefaultModels =
        ["threads", "processes", "nonblocking", "select", "poll", "epoll", "epoll-et", "coroutines", "prefork", "dotnet-async", "sigio", "io-uring"];

    /// <summary>The default connection levels: 10 is small enough for every model, <c>processes</c> included.</summary>
    public const string DefaultLevels = "10,100,1000,10000";

    /// <summary>How long the server is watched with no connection, for its idle CPU.</summary>
    private static readonly TimeSpan s_idleWindow = TimeSpan.FromMilliseconds(500);

    private static readonly JsonSerializerOptions s_jsonOptions = new() { WriteIndented = true };

    public static int Run(string[]? models, string levels, string duration, string output, int loadShare = DefaultLoadShare)
    {
        string[] chosen;
        int[] connectionLevels;
        TimeSpan window;
        try
        {
            chosen = models is { Length: > 0 } ? [.. models.SelectMany(m => m.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))] : DefaultModels;
            foreach (string m in chosen)
            {
                _ = ServerModel.Create(m);
            }
            connectionLevels = [.. levels.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseLevel)];
            window = Durations.Parse(duration, "--duration");
            if (loadShare < 1)
            {
                throw new LabException($"--load-share {loadShare} must be at least 1");
            }
        }
        catch (LabException e)
        {
            Console.Error.WriteLine($"plexus bench: {e.Message}");
            return 2;
        }

        try
        {
            Directory.CreateDirectory(output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"plexus bench: cannot create --out {output}: {e.Message}");
            return 2;
        }
        // Ctrl-C or SIGTERM mid-run must not leave a server process behind.
        void OnSignal(PosixSignalContext context) => ServerProcess.KillCurrent();
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        var cells = new List<BenchCell>();
        var started = Stopwatch.StartNew();
        foreach (string model in chosen)
        {
            cells.AddRange(RunModel(model, connectionLevels, window, loadShare));
        }
        ComputeRatios(cells);
        List<SeedClaim> claims = SeedClaims.Evaluate(cells);
        string[] ordered = [.. chosen.OrderBy(m => ModelGroups.SortKey(m, chosen))];

        File.WriteAllText(Path.Combine(output, "results.json"), JsonSerializer.Serialize(new
        {
            machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}",
            durationSeconds = window.TotalSeconds,
            runSeconds = Math.Round(started.Elapsed.TotalSeconds),
            messageBytes = 32,
            groups = ModelGroups.Order.Select(g => new { group = g, models = ordered.Where(m => ModelGroups.Of(m) == g).ToArray() }),
            cells,
            claims,
        }, s_jsonOptions));
        string table = BenchReport.Markdown(cells, ordered, connectionLevels, window, claims, Baseline)
            + $"{Environment.NewLine}Whole run: {started.Elapsed.TotalSeconds:0} s.{Environment.NewLine}";
        File.WriteAllText(Path.Combine(output, "results.md"), table);
        BenchChart.Save(cells, ordered, connectionLevels, Path.Combine(output, "chart.png"));
        File.WriteAllText(Path.Combine(output, "report.html"), BenchHtml.Render(cells, ordered, connectionLevels, window, Baseline, started.Elapsed.TotalSeconds));
        Console.WriteLine();
        Console.WriteLine(table);
        Console.WriteLine($"plexus bench: done in {started.Elapsed.TotalSeconds:0} s; wrote {Path.Combine(output, "results.json")}, results.md, chart.png, report.html");
        return 0;
    }

    private static int ParseLevel(string text) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0
        ? n
        : throw new LabException($"--connections '{text}' is not a positive number; write e.g. 100,1000,10000");

    /// <summary>Why a model cannot hold <paramref name="connections"/>, or null when it can.</summary>
    public static string? CannotHold(string model, int connections) => CannotHold(model, connections, FileDescriptorLimit.Hard);

    /// <summary>
    /// Why a model cannot hold <paramref name="connections"/> when one process may hold at most
    /// <paramref name="descriptorLimit"/> descriptors (the hard limit: a server raises its soft
    /// limit to it), or null when it can.
    /// </summary>
    public static string? CannotHold(string model, int connections, long descriptorLimit)
    {
        if (model == "processes")
        {
            return connections > ProcessesCap ? $"cannot hold: one process per connection, capped at {ProcessesCap} (--max-processes)" : null;
        }
        if (s_multiProcessModels.Contains(model) || connections <= descriptorLimit - DescriptorReserve)
        {
            // select above 1,024 but within the limit is measured: its cell shows the claim.
            return null;
        }
        int workers = WorkersFor(connections, DefaultLoadShare);
        string limit = descriptorLimit.ToString("N0", CultureInfo.InvariantCulture);
        return model == "select"
            ? $"cannot hold: select watches only descriptors below 1,024 (FD_SETSIZE), and one process may hold at most {limit} descriptors (ulimit -Hn)"
            : $"cannot hold: one process may hold at most {limit} descriptors (ulimit -Hn); use prefork --workers {workers} or io-uring --workers {workers}";
    }

    /// <summary>Worker processes so that each holds at most <paramref name="loadShare"/> connections.</summary>
    private static int WorkersFor(int connections, int loadShare) => (int)Math.Ceiling(connections / (double)loadShare);

    /// <summary>The <c>--workers</c> to start a model with for these levels, or 0 for its default.</summary>
    private static int ServerWorkers(string model, IEnumerable<int> levels, int loadShare)
    {
        int needed = WorkersFor(levels.DefaultIfEmpty(0).Max(), loadShare);
        // prefork's default is one worker per core, io-uring's one: never start fewer than the default.
        return s_multiProcessModels.Contains(model) && needed > 1 ? Math.Max(needed, Environment.ProcessorCount) : 0;
    }

    private static List<BenchCell> RunModel(string model, int[] levels, TimeSpan window, int loadShare)
    {
        var cells = levels.Select(l => new BenchCell { Model = model, Connections = l, Skipped = CannotHold(model, l) }).ToList();
        if (cells.All(c => c.Skipped is not null))
        {
            foreach (BenchCell c in cells)
            {
                Console.WriteLine($"{model,-12} {c.Connections,6}: {c.Skipped}");
            }
            return cells;
        }
        int port = FreePort();
        int workers = ServerWorkers(model, cells.Where(c => c.Skipped is null).Select(c => c.Connections), loadShare);
        using var server = new ServerProcess(model, port, workers);
        if (!server.WaitListening(TimeSpan.FromSeconds(30), out string why))
        {
            foreach (BenchCell c in cells)
            {
                c.Skipped ??= $"server did not start: {why}";
            }
            return cells;
        }
        double idle = IdleCpuPercent(server.Pid);
        foreach (BenchCell cell in cells)
        {
            cell.ServerIdleCpuPercent = idle;
            if (cell.Skipped is not null)
            {
                Console.WriteLine($"{model,-12} {cell.Connections,6}: {cell.Skipped}");
                continue;
            }
            Measure(cell, server.Pid, port, window, loadShare);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{model,-12} {cell.Connections,6}: {cell.RoundTripsPerSecond,9:0} rt/s  p50 {cell.P50Us,7:0} µs  p99 {cell.P99Us,7:0} µs  server {cell.ServerCpuUsPerRoundTrip,6:0.0} µs CPU/rt  RSS {cell.ServerRssMb,6:0} MB  errors: {cell.ErrorSummary}  drops {cell.KernelDrops}"));
            Thread.Sleep(300); // let the server close the last level's connections
        }
        server.Stop();
        return cells;
    }

    /// <summary>The server's CPU with no connection, in % of one core: a loop that waits in the kernel uses none.</summary>
    private static double IdleCpuPercent(int serverPid)
    {
        double before = ProcessTree.CpuSeconds(serverPid);
        Thread.Sleep(s_idleWindow);
        return Math.Round((ProcessTree.CpuSeconds(serverPid) - before) / s_idleWindow.TotalSeconds * 100);
    }

    private static void Measure(BenchCell cell, int serverPid, int port, TimeSpan window, int loadShare)
    {
        var options = new LoadOptions(IPAddress.Loopback, port, cell.Connections, 32, window, null, false, 1, ReplyTimeout(cell.Connections));
        double cpuStart = 0, cpuEnd = 0;
        long rss = 0, dropsStart = ProcessTree.SoftnetDrops();
        int loadProcesses = WorkersFor(cell.Connections, loadShare);
        LoadResult result;
        try
        {
            if (loadProcesses > 1)
            {
                result = MeasureFromProcesses(options with { Threads = 1 }, serverPid, loadProcesses, out cpuStart, out cpuEnd, out rss);
            }
            else
            {
                result = LoadClient.Run(options, new LoadProgress(),
                    measureStart: () => cpuStart = ProcessTree.CpuSeconds(serverPid),
                    measureEnd: () =>
                    {
                        cpuEnd = ProcessTree.CpuSeconds(serverPid);
                        rss = ProcessTree.RssBytes(serverPid);
                    });
            }
        }
        catch (LabException e)
        {
            cell.Skipped = $"load failed: {e.Message}";
            return;
        }
        cell.Connected = result.Connected;
        cell.ConnectSeconds = Math.Round(result.ConnectSeconds, 3);
        cell.RoundTrips = result.RoundTrips;
        cell.RoundTripsPerSecond = Math.Round(result.RoundTripsPerSecond);
        cell.P50Us = result.Percentile(50);
        cell.P99Us = result.Percentile(99);
        cell.MaxUs = result.MaxLatency;
        cell.ServerCpuSeconds = Math.Round(cpuEnd - cpuStart, 2);
        cell.ServerCpuUsPerRoundTrip = result.RoundTrips > 0 ? Math.Round((cpuEnd - cpuStart) * 1e6 / result.RoundTrips, 2) : 0;
        cell.ServerRssMb = Math.Round(rss / 1048576.0, 1);
        cell.Errors = result.Errors;
        cell.KernelDrops = ProcessTree.SoftnetDrops() - dropsStart;
        cell.ErrorSummary = result.ErrorSummary();
    }

    /// <summary>
    /// How long a reply may take before it counts as a timeout: 5 s, plus 1 s per 10,000
    /// connections. Every connection keeps one message in flight, so a reply waits behind all the
    /// others: connections ÷ round trips/s, 5 s at 100,000 connections and 20,000/s on 2 cores.
    /// A fixed 5 s would count that queue as failures.
    /// </summary>
    private static TimeSpan ReplyTimeout(int connections) => TimeSpan.FromSeconds(5 + connections / 10_000);

    /// <summary>
    /// Loads from <paramref name="processes"/> <c>plexus load</c> processes over as many source
    /// addresses as the connections need. The bench cannot see their measured window, so the
    /// server's CPU covers the whole run (connects and closes too) and its RSS is the peak.
    /// </summary>
    private static LoadResult MeasureFromProcesses(LoadOptions options, int serverPid, int processes, out double cpuStart, out double cpuEnd, out long rss)
    {
        int sources = SourceAddresses.Needed(options.Connections);
        options = options with { Sources = SourceAddresses.Loopback(sources, options.Connections) };
        cpuStart = ProcessTree.CpuSeconds(serverPid);
        using var peak = new PeakRss(serverPid);
        LoadResult result = LoadProcesses.Run(options, processes, sources);
        cpuEnd = ProcessTree.CpuSeconds(serverPid);
        rss = peak.Bytes;
        return result;
    }

    private static void ComputeRatios(List<BenchCell> cells)
    {
        foreach (BenchCell cell in cells)
        {
            BenchCell? baseline = cells.FirstOrDefault(c => c.Model == Baseline && c.Connections == cell.Connections && c.Skipped is null && c.RoundTrips > 0);
            if (cell.Skipped is null && baseline is not null && cell.RoundTrips > 0)
            {
                cell.ThroughputVsBaseline = Math.Round(cell.RoundTripsPerSecond / baseline.RoundTripsPerSecond, 2);
                cell.CpuVsBaseline = baseline.ServerCpuUsPerRoundTrip > 0 ? Math.Round(cell.ServerCpuUsPerRoundTrip / baseline.ServerCpuUsPerRoundTrip, 2) : null;
            }
        }
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
