using System.Globalization;
using System.Net.Sockets;
using Plexus.Lab.Load;
using Plexus.Lab.Native;
using Spectre.Console;

namespace Plexus.Lab;

/// <summary><c>plexus load</c>: drive an echo server with N connections and report what came back.</summary>
internal static class LoadCommand
{
    /// <summary>The hidden option through which a load process of <c>--processes</c> hands back its result.</summary>
    public const string ResultFileOption = "--result-file";

    public static int Run(
        string host, int port, int connections, int size, string? duration, int? messages, string pattern, int threads, string? json, string timeout,
        int processes, int sources, string? resultFile)
    {
        LoadOptions options;
        try
        {
            if (connections < 1)
            {
                throw new LabException("--connections must be at least 1");
            }
            if (port is < 1 or > 65535)
            {
                throw new LabException($"--port {port} is out of range; use 1-65535");
            }
            if (threads < 1)
            {
                throw new LabException($"--threads {threads} must be at least 1");
            }
            if (json is not null && Path.GetDirectoryName(Path.GetFullPath(json)) is { } folder && !Directory.Exists(folder))
            {
                throw new LabException($"--json {json}: folder {folder} does not exist; create it or pick another path");
            }
            if (size is < 1 or > 1 << 20)
            {
                throw new LabException("--size must be between 1 and 1048576 bytes");
            }
            if (pattern is not ("pingpong" or "seed"))
            {
                throw new LabException($"--pattern '{pattern}' is unknown; use pingpong or seed");
            }
            if (duration is not null && messages is not null)
            {
                throw new LabException("give either --duration or --messages, not both");
            }
            if (messages is < 1)
            {
                throw new LabException("--messages must be at least 1");
            }
            if (processes is < 1 or > 64)
            {
                throw new LabException($"--processes {processes} is out of range; use 1-64");
            }
            if (sources is < 0 or > 254)
            {
                throw new LabException($"--sources {sources} is out of range; use 0 (the kernel picks) to 254 (127.0.0.1-127.0.0.254)");
            }
            TimeSpan? window = messages is null ? Durations.Parse(duration ?? "10s", "--duration") : null;
            options = new LoadOptions(Sys.Resolve(host), port, connections, size, window, messages, pattern == "seed", threads, Durations.Parse(timeout, "--timeout"))
            {
                Sources = SourceAddresses.Loopback(sources, connections),
            };
            if (sources > 0 && (options.Host.AddressFamily != AddressFamily.InterNetwork || options.Host.GetAddressBytes()[0] != 127))
            {
                throw new LabException($"--sources binds to 127.0.0.x, which reaches loopback servers only; the server {options.Host} is not on 127.0.0.0/8");
            }
        }
        catch (LabException e)
        {
            Console.Error.WriteLine($"plexus load: {e.Message}");
            return 2;
        }

        LoadResult result;
        try
        {
            result = processes > 1 ? LoadProcesses.Run(options, processes, sources) : RunWithProgress(options);
            if (resultFile is not null)
            {
                LoadResultFile.Write(resultFile, result);
            }
        }
        catch (LabException e)
        {
            Console.Error.WriteLine($"plexus load: {e.Message}");
            return 1;
        }

        if (result.Connected == 0 && result.Refused == options.Connections)
        {
            Console.Error.WriteLine($"plexus load: {options.Host}:{options.Port} refused every connection; is `plexus serve` running there?");
            return 3;
        }
        Report(result);
        if (json is not null)
        {
            try
            {
                File.WriteAllText(json, result.ToJson());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"plexus load: cannot write --json {json}: {e.Message}");
                return 1;
            }
        }
        return result.Errors == 0 && result.Connected == options.Connections ? 0 : 1;
    }

    private static LoadResult RunWithProgress(LoadOptions options)
    {
        var progress = new LoadProgress();
        Task<LoadResult> run = Task.Factory.StartNew(() => LoadClient.Run(options, progress), TaskCreationOptions.LongRunning);
        string Line() => $"{progress.Phase}: {Interlocked.Read(ref progress.Connected)}/{options.Connections} connected, "
            + $"{Interlocked.Read(ref progress.RoundTrips)} round trips, {Interlocked.Read(ref progress.Errors)} errors";
        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            AnsiConsole.Status().Start(Line(), ctx =>
            {
                while (!Finished(run, 250))
                {
                    ctx.Status(Markup.Escape(Line()));
                }
            });
        }
        else
        {
            // Plain output for logs and pipes: one line a second once the run has started.
            while (!Finished(run, 1000))
            {
                if (progress.Phase == "running")
                {
                    Console.WriteLine($"plexus load: {Line()}");
                }
            }
        }
        return run.GetAwaiter().GetResult();
    }

    /// <summary>Waits up to <paramref name="ms"/> for the run; unlike <c>Task.Wait</c> never throws, so a failure surfaces once, unwrapped, from <c>GetResult</c>.</summary>
    private static bool Finished(Task run, int ms) => ((IAsyncResult)run).AsyncWaitHandle.WaitOne(ms);

    private static void Report(LoadResult r)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"connections  {r.Connected}/{r.Connections} connected in {r.ConnectSeconds:0.000} s"));
        Console.WriteLine(string.Create(c, $"round trips  {r.RoundTrips} in {r.Seconds:0.00} s = {r.RoundTripsPerSecond:0} /s, {r.MegabytesPerSecond:0.00} MB/s echoed"));
        Console.WriteLine(string.Create(c, $"latency µs   p50 {r.Percentile(50)}  p90 {r.Percentile(90)}  p99 {r.Percentile(99)}  p99.9 {r.Percentile(99.9)}  max {r.MaxLatency}"));
        Console.WriteLine($"errors       {r.ErrorSummary()}");
    }
}
