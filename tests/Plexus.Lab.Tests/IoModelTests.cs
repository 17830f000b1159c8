using System.Globalization;
using System.Text.Json;

namespace Plexus.Lab.Tests;

/// <summary>
/// The non-blocking, signal-driven and asynchronous models under concurrency: 2,000 connections
/// held at once with zero errors, and signal-driven I/O surviving a full real-time signal queue.
/// </summary>
public sealed class IoModelTests
{
    [Theory]
    [InlineData("nonblocking")]
    [InlineData("sigio")]
    [InlineData("io-uring")]
    [InlineData("io-uring", "--workers", "2")]
    public void Holds_2000_concurrent_connections_with_zero_errors(string model, params string[] serveArgs)
    {
        int port = LabProcess.FreePort();
        using LabProcess server = LabProcess.Serve(model, port, serveArgs);
        JsonElement result = Load(port, "--connections", "2000", "--duration", "2s");
        Assert.Equal(2000, result.GetProperty("connected").GetInt32());
        Assert.Equal(0, result.GetProperty("errors").GetInt32());
        Assert.True(result.GetProperty("roundTrips").GetInt64() > 0, result.ToString());
        server.Terminate();
        Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("served 2000 connections", server.Stdout.Last(), StringComparison.Ordinal);
    }

    [Fact]
    public void Sigio_loses_nothing_when_the_real_time_signal_queue_overflows()
    {
        int port = LabProcess.FreePort();
        // Four queued signals at most: 200 busy connections overflow it at once, so the kernel
        // falls back to plain SIGIO and the server must rescan every socket.
        using LabProcess server = LabProcess.Serve("sigio", port, new Dictionary<string, string> { ["PLEXUS_SIGIO_SIGPENDING"] = "4" });
        JsonElement result = Load(port, "--connections", "200", "--messages", "50");
        Assert.Equal(200, result.GetProperty("connected").GetInt32());
        Assert.Equal(0, result.GetProperty("errors").GetInt32());
        Assert.Equal(200 * 50, result.GetProperty("roundTrips").GetInt64());
        server.Terminate();
        Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(30)));
        string overflows = Assert.Single(server.Stdout, l => l.Contains("queue overflows", StringComparison.Ordinal));
        int count = int.Parse(overflows.Split(' ')[3], CultureInfo.InvariantCulture);
        Assert.True(count > 0, overflows);
        Assert.Contains($"echoed {200 * 50 * 32} bytes", server.Stdout.Last(), StringComparison.Ordinal);
    }

    [Fact]
    public void Holds_30000_connections_from_2_load_processes_and_2_source_addresses()
    {
        int port = LabProcess.FreePort();
        // Past one process's 20,000 descriptors on both sides: three ring workers, two load processes,
        // and two source addresses (one has about 28,000 ephemeral ports towards one server port).
        using LabProcess server = LabProcess.Serve("io-uring", port, "--workers", "3");
        JsonElement result = Load(port, "--connections", "30000", "--processes", "2", "--sources", "2", "--duration", "2s");
        Assert.Equal(30000, result.GetProperty("connected").GetInt32());
        Assert.Equal(0, result.GetProperty("errors").GetInt32());
        Assert.True(result.GetProperty("roundTrips").GetInt64() > 0, result.ToString());
        Assert.True(result.GetProperty("latencyUs").GetProperty("p99").GetDouble() > 0, result.ToString());
        server.Terminate();
        Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("served 30000 connections", server.Stdout.Last(), StringComparison.Ordinal);
    }

    private static JsonElement Load(int port, params string[] args)
    {
        string json = Path.Combine(Path.GetTempPath(), $"plexus-load-{Guid.NewGuid():N}.json");
        try
        {
            (int exit, LabProcess load) = LabProcess.Run(TimeSpan.FromSeconds(240),
                ["load", "--port", port.ToString(CultureInfo.InvariantCulture), "--timeout", "60s", "--json", json, .. args]);
            using (load)
            {
                Assert.True(exit == 0, load.Output);
            }
            return LabProcess.ReadJson(json);
        }
        finally
        {
            File.Delete(json);
        }
    }
}
