using System.Globalization;
using System.Text.Json;

namespace Plexus.Lab.Tests;

/// <summary>The reactor models hold 5,000 concurrent connections; select says why it cannot.</summary>
public sealed class ConcurrencyTests
{
    [Theory]
    [InlineData("epoll")]
    [InlineData("coroutines")]
    [InlineData("prefork")]
    public void Holds_5000_concurrent_connections_with_zero_errors(string model)
    {
        int port = LabProcess.FreePort();
        string json = Path.Combine(Path.GetTempPath(), $"plexus-load-{Guid.NewGuid():N}.json");
        using LabProcess server = LabProcess.Serve(model, port);
        try
        {
            (int exit, LabProcess load) = LabProcess.Run(TimeSpan.FromSeconds(120),
                "load", "--port", port.ToString(CultureInfo.InvariantCulture), "--connections", "5000", "--duration", "2s", "--timeout", "60s", "--json", json);
            using (load)
            {
                Assert.True(exit == 0, load.Output);
            }
            JsonElement result = LabProcess.ReadJson(json);
            Assert.Equal(5000, result.GetProperty("connected").GetInt32());
            Assert.Equal(0, result.GetProperty("errors").GetInt32());
            Assert.Equal(0, result.GetProperty("mismatches").GetInt32());
            // Every connection echoed once before the window (the load's warm-up); the window adds more.
            // No rate is asserted: on a busy machine it can be low, and that is not a failure.
            Assert.True(result.GetProperty("roundTrips").GetInt64() > 0, result.ToString());
            foreach (string key in (string[])["p50", "p90", "p99", "p999", "max"])
            {
                Assert.True(result.GetProperty("latencyUs").GetProperty(key).GetDouble() > 0, key);
            }
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Fact]
    public void Select_refuses_descriptors_beyond_its_fd_set_with_one_log_line()
    {
        int port = LabProcess.FreePort();
        string json = Path.Combine(Path.GetTempPath(), $"plexus-load-{Guid.NewGuid():N}.json");
        using LabProcess server = LabProcess.Serve("select", port);
        try
        {
            (int exit, LabProcess load) = LabProcess.Run(TimeSpan.FromSeconds(60),
                "load", "--port", port.ToString(CultureInfo.InvariantCulture), "--connections", "1200", "--duration", "1s", "--json", json);
            using (load)
            {
                Assert.NotEqual(0, exit);
                JsonElement result = LabProcess.ReadJson(json);
                // Connections past descriptor 1023 were accepted and closed: the client sees resets.
                Assert.True(result.GetProperty("errors").GetInt32() >= 1200 - 1024, load.Output);
                Assert.Equal(0, result.GetProperty("mismatches").GetInt32());
                Assert.True(result.GetProperty("roundTrips").GetInt64() > 0, load.Output);
            }
            Assert.Single(server.Stdout, l => l.Contains("select: refusing connections", StringComparison.Ordinal));
            server.Terminate();
            Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(30)));
            Assert.Contains("refused", server.Stdout.Last(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(json);
        }
    }
}
