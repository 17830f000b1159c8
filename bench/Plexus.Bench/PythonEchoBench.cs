using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

/// <summary>
/// Python's selectors echo server (the seed's, <c>bench/python/echo_selectors.py</c>) beside
/// <c>plexus serve</c> models and the <c>dotnet-async</c> baseline, each loaded by <c>plexus load</c>
/// the same way; prints server CPU µs per round trip over the whole load run (connects included).
/// Usage: <c>pythonecho [connections=10000] [seconds=5]</c>.
/// </summary>
internal static class PythonEchoBench
{
    public static int Run(string[] args)
    {
        int connections = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        double seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        string plexus = NativeClientBench.FindPlexus();
        string script = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(plexus)!)!)!, "..", "..", "..", "bench", "python", "echo_selectors.py");
        script = Path.GetFullPath(script);
        Console.WriteLine($"{connections} connections, {seconds} s, 32-byte ping-pong; server CPU over the whole load run");
        Console.WriteLine("server                 round trips/s   server CPU µs/rt   ×CPU vs dotnet-async   errors");
        double? baseline = null;
        foreach (string server in (string[])["dotnet-async", "python-selectors", "epoll", "coroutines"])
        {
            int port = NativeClientBench.FreePort();
            using Process process = server == "python-selectors"
                ? StartPython(script, port)
                : NativeClientBench.StartServer(plexus, server, port);
            try
            {
                string json = Path.GetTempFileName();
                double cpu0 = NativeClientBench.ServerCpu(process.Id);
                using (Process load = Process.Start(new ProcessStartInfo("dotnet")
                {
                    ArgumentList = { plexus, "load", "--port", port.ToString(CultureInfo.InvariantCulture), "--connections", connections.ToString(CultureInfo.InvariantCulture), "--duration", $"{seconds}s", "--json", json },
                    RedirectStandardOutput = true,
                })!)
                {
                    load.StandardOutput.ReadToEnd();
                    load.WaitForExit();
                }
                double cpu = NativeClientBench.ServerCpu(process.Id) - cpu0;
                using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
                File.Delete(json);
                long trips = doc.RootElement.GetProperty("roundTrips").GetInt64();
                double perTrip = cpu * 1e6 / Math.Max(1, trips);
                baseline ??= perTrip;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{server,-20} {doc.RootElement.GetProperty("roundTripsPerSecond").GetDouble(),14:0} {perTrip,18:0.0} {perTrip / baseline.Value,20:0.00}×   {doc.RootElement.GetProperty("errors").GetInt64()}"));
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
        return 0;
    }

    private static Process StartPython(string script, int port)
    {
        var python = Process.Start(new ProcessStartInfo("python3")
        {
            ArgumentList = { script, port.ToString(CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
        })!;
        string? line = python.StandardOutput.ReadLine();
        return line is not null && line.Contains("listening", StringComparison.Ordinal)
            ? python
            : throw new InvalidOperationException($"{script} did not start: {line}");
    }
}
