using System.Text.Json;

namespace Plexus.Lab.Tests;

/// <summary>Every model echoes 200 connections × 50 round trips, byte for byte, and stops on SIGTERM.</summary>
public sealed class ModelTests
{
    /// <summary>Every model `plexus serve` offers.</summary>
    public static TheoryData<string> Models => new(["threads", "processes", "select", "poll", "epoll", "epoll-et", "coroutines", "dotnet-async", "prefork", "nonblocking", "sigio", "io-uring"]);

    [Theory]
    [MemberData(nameof(Models))]
    public void Serves_200_connections_50_round_trips_each_with_no_mismatch(string model)
    {
        int port = LabProcess.FreePort();
        string json = Path.Combine(Path.GetTempPath(), $"plexus-load-{Guid.NewGuid():N}.json");
        using LabProcess server = LabProcess.Serve(model, port);
        try
        {
            (int exit, LabProcess load) = LabProcess.Run(TimeSpan.FromSeconds(120),
                "load", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--connections", "200", "--messages", "50", "--timeout", "60s", "--json", json);
            using (load)
            {
                Assert.True(exit == 0, load.Output);
            }
            JsonElement result = LabProcess.ReadJson(json);
            Assert.Equal(200, result.GetProperty("connected").GetInt32());
            Assert.Equal(0, result.GetProperty("mismatches").GetInt32());
            Assert.Equal(0, result.GetProperty("errors").GetInt32());
            Assert.Equal(200 * 50, result.GetProperty("roundTrips").GetInt64());

            server.Terminate();
            Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(30)));
            string summary = server.Stdout.Last();
            Assert.Contains("served 200 connections", summary, StringComparison.Ordinal);
            Assert.Contains($"echoed {200 * 50 * 32} bytes", summary, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Echoes_messages_larger_than_socket_buffers_through_partial_sends(string model)
    {
        int port = LabProcess.FreePort();
        string json = Path.Combine(Path.GetTempPath(), $"plexus-load-{Guid.NewGuid():N}.json");
        using LabProcess server = LabProcess.Serve(model, port);
        try
        {
            // 1 MiB messages cannot fit in loopback socket buffers: both sides see partial sends.
            (int exit, LabProcess load) = LabProcess.Run(TimeSpan.FromSeconds(120),
                "load", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--connections", "8", "--size", "1048576", "--messages", "5",
                "--timeout", "60s", "--json", json);
            using (load)
            {
                Assert.True(exit == 0, load.Output);
            }
            JsonElement result = LabProcess.ReadJson(json);
            Assert.Equal(0, result.GetProperty("mismatches").GetInt32());
            Assert.Equal(0, result.GetProperty("errors").GetInt32());
            Assert.Equal(8 * 5, result.GetProperty("roundTrips").GetInt64());
        }
        finally
        {
            File.Delete(json);
        }
    }
}
