using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Plexus.Native;

/// <summary>
/// What Plexus.IO's stream layer costs a server: <c>plexus serve --model streams</c> (reader/writer
/// with drain) beside <c>--model coroutines</c> (the same loop, raw socket calls) and Python's
/// asyncio streams on uvloop (<c>start_server</c>, <c>reader.read</c>, <c>writer.write</c> +
/// <c>drain</c>), each loaded by <c>plexus load</c> the same way, in rounds whose server order
/// rotates so a noisy neighbour hurts each alike. Prints server CPU µs per round trip over the whole
/// load run (connects included) and in the steady state (from the load's first progress line, every
/// connection open, to its last), the paired steady-state ratios per round and their medians, and the
/// streams server's allocated bytes per steady-state round trip (it logs its total allocation on SIGUSR1).
/// Usage: <c>streams [connections=1000,10000] [seconds=5] [rounds=3]</c>; needs <c>python3-uvloop</c>.
/// </summary>
internal static class StreamsBench
{
    private const string UvloopEcho = """
        import asyncio, sys, uvloop

        async def echo(reader, writer):
            try:
                while True:
                    data = await reader.read(4096)
                    if not data:
                        break
                    writer.write(data)
                    await writer.drain()
            except OSError:
                pass
            finally:
                writer.close()

        async def main(port):
            server = await asyncio.start_server(echo, "127.0.0.1", port, backlog=4096)
            print("python-uvloop listening on", port, flush=True)
            async with server:
                await server.serve_forever()

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        asyncio.run(main(int(sys.argv[1])))
        """;

    private static readonly string[] s_servers = ["streams", "coroutines", "python-uvloop"];

    public static int Run(string[] args)
    {
        int[] counts = (args.Length > 0 ? args[0] : "1000,10000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        double seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        int rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        string plexus = NativeClientBench.FindPlexus();
        string script = Path.Combine(Path.GetTempPath(), $"plexus-uvloop-echo-{Environment.ProcessId}.py");
        File.WriteAllText(script, UvloopEcho);
        try
        {
            foreach (int connections in counts)
            {
                Console.WriteLine($"{connections} connections, {seconds} s per run, 32-byte ping-pong, {rounds} rounds; ratios on steady-state server CPU");
                Console.WriteLine("round  server            round trips/s   CPU µs/rt whole run   CPU µs/rt steady   alloc B/rt steady   errors");
                var perRound = new List<Dictionary<string, double>>();
                var allocs = new List<double>();
                for (int round = 0; round < rounds; round++)
                {
                    var cpu = new Dictionary<string, double>();
                    for (int k = 0; k < s_servers.Length; k++)
                    {
                        string server = s_servers[(k + round) % s_servers.Length];
                        Measurement m = Measure(plexus, script, server, connections, seconds);
                        cpu[server] = m.SteadyCpuMicrosPerTrip;
                        if (m.AllocatedPerTrip is { } a)
                        {
                            allocs.Add(a);
                        }
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"{round + 1,5}  {server,-15} {m.TripsPerSecond,15:0} {m.CpuMicrosPerTrip,21:0.00} {m.SteadyCpuMicrosPerTrip,18:0.00} {(m.AllocatedPerTrip is { } b ? b.ToString("0.00", CultureInfo.InvariantCulture) : "-"),19}   {m.Errors}"));
                    }
                    perRound.Add(cpu);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"       round {round + 1} (steady CPU): streams/coroutines {cpu["streams"] / cpu["coroutines"]:0.00}×, streams/python-uvloop {cpu["streams"] / cpu["python-uvloop"]:0.00}×"));
                }
                double vsCoroutines = Median(perRound.Select(r => r["streams"] / r["coroutines"]));
                double vsUvloop = Median(perRound.Select(r => r["streams"] / r["python-uvloop"]));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"median of paired ratios: streams/coroutines {vsCoroutines:0.00}× (target ≤ 1.15), streams/python-uvloop {vsUvloop:0.00}× (target ≤ 0.6); streams allocated {Median(allocs):0.00} B per round trip (steady state)"));
                Console.WriteLine();
            }
        }
        finally
        {
            File.Delete(script);
        }
        return 0;
    }

    private sealed record Measurement(double TripsPerSecond, double CpuMicrosPerTrip, double SteadyCpuMicrosPerTrip, double? AllocatedPerTrip, long Errors);

    private const int SigUsr1 = 10;

    /// <summary>The load's round trips and the server's CPU seconds and allocated bytes at one progress line.</summary>
    private sealed record Snapshot(long RoundTrips, double CpuSeconds, long AllocatedBytes);

    private static Measurement Measure(string plexus, string script, string server, int connections, double seconds)
    {
        int port = NativeClientBench.FreePort();
        using Process process = server == "python-uvloop" ? StartPython(script, port) : NativeClientBench.StartServer(plexus, server, port);
        string json = Path.GetTempFileName();
        try
        {
            double cpu0 = NativeClientBench.ServerCpu(process.Id);
            Snapshot? first = null, last = null;
            using (Process load = Process.Start(new ProcessStartInfo("dotnet")
            {
                ArgumentList = { plexus, "load", "--port", port.ToString(CultureInfo.InvariantCulture), "--connections", connections.ToString(CultureInfo.InvariantCulture), "--duration", $"{seconds}s", "--timeout", "60s", "--json", json },
                RedirectStandardOutput = true,
            })!)
            {
                // The load prints a progress line a second while running (every connection open): the
                // steady state runs from the first such line to the last, leaving connects and closes out.
                while (load.StandardOutput.ReadLine() is { } line)
                {
                    if (line.Contains("running:", StringComparison.Ordinal))
                    {
                        long allocated = 0;
                        if (server == "streams")
                        {
                            ProcessIds.Signal(process.Id, SigUsr1);
                            allocated = ReadAllocated(process);
                        }
                        last = new Snapshot(ParseCount(line, " round trips"), NativeClientBench.ServerCpu(process.Id), allocated);
                        first ??= last;
                    }
                }
                load.WaitForExit();
            }
            double cpu1 = NativeClientBench.ServerCpu(process.Id);
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
            long trips = Math.Max(1, doc.RootElement.GetProperty("roundTrips").GetInt64());
            bool steady = first is not null && last!.RoundTrips > first.RoundTrips;
            long steadyTrips = steady ? last!.RoundTrips - first!.RoundTrips : 1;
            return new Measurement(
                doc.RootElement.GetProperty("roundTripsPerSecond").GetDouble(),
                (cpu1 - cpu0) * 1e6 / trips,
                steady ? (last!.CpuSeconds - first!.CpuSeconds) * 1e6 / steadyTrips : double.NaN,
                steady && server == "streams" ? (last!.AllocatedBytes - first!.AllocatedBytes) / (double)steadyTrips : null,
                doc.RootElement.GetProperty("errors").GetInt64());
        }
        finally
        {
            File.Delete(json);
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            process.WaitForExit();
        }
    }

    /// <summary>The number before <paramref name="suffix"/> in a progress line ("…, 12345 round trips, …").</summary>
    private static long ParseCount(string line, string suffix)
    {
        int end = line.IndexOf(suffix, StringComparison.Ordinal);
        int start = line.LastIndexOf(' ', end - 1) + 1;
        return long.Parse(line[start..end], CultureInfo.InvariantCulture);
    }

    /// <summary>Reads the streams server's next "allocated N bytes" line (it answers SIGUSR1 with one).</summary>
    private static long ReadAllocated(Process server)
    {
        while (server.StandardOutput.ReadLine() is { } line)
        {
            int at = line.IndexOf("allocated ", StringComparison.Ordinal);
            if (at >= 0)
            {
                return long.Parse(line[(at + "allocated ".Length)..].Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException("the streams server exited without reporting its allocation");
    }

    private static Process StartPython(string script, int port)
    {
        var python = Process.Start(new ProcessStartInfo("/usr/bin/python3")
        {
            ArgumentList = { script, port.ToString(CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
        })!;
        string? line = python.StandardOutput.ReadLine();
        return line is not null && line.Contains("listening", StringComparison.Ordinal)
            ? python
            : throw new InvalidOperationException($"the uvloop echo did not start ({line ?? "no output"}); install it with apt-get install -y python3-uvloop");
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
