using System.Globalization;
using System.Text.Json;

namespace Plexus.Lab.Tests;

/// <summary><c>serve</c> and <c>load</c> with <c>--host ::1</c>: the same echo over IPv6 loopback.</summary>
public sealed class Ipv6Tests
{
    [Theory]
    [InlineData("epoll")]
    [InlineData("threads")]
    [InlineData("io-uring")]
    [InlineData("coroutines")]
    [InlineData("streams")]
    [InlineData("dotnet-async")]
    public void Serves_200_connections_over_ipv6_loopback_with_no_mismatch(string model)
    {
        int port = LabProcess.FreePort();
        string json = Path.Combine(Path.GetTempPath(), $"plexus-load6-{Guid.NewGuid():N}.json");
        using LabProcess server = LabProcess.Serve(model, port, "--host", "::1");
        try
        {
            (int exit, LabProcess load) = LabProcess.Run(TimeSpan.FromSeconds(120),
                "load", "--host", "::1", "--port", port.ToString(CultureInfo.InvariantCulture), "--connections", "200", "--messages", "20", "--timeout", "60s", "--json", json);
            using (load)
            {
                Assert.True(exit == 0, load.Output);
            }
            JsonElement result = LabProcess.ReadJson(json);
            Assert.Equal(200, result.GetProperty("connected").GetInt32());
            Assert.Equal(0, result.GetProperty("mismatches").GetInt32());
            Assert.Equal(0, result.GetProperty("errors").GetInt32());
            Assert.Equal(200 * 20, result.GetProperty("roundTrips").GetInt64());
        }
        finally
        {
            server.Terminate();
            server.WaitForExit(TimeSpan.FromSeconds(30));
            File.Delete(json);
        }
    }

    [Fact]
    public void Source_addresses_with_an_ipv6_server_are_refused_in_one_line()
    {
        (int exit, LabProcess load) = LabProcess.Run(TimeSpan.FromSeconds(60),
            "load", "--host", "::1", "--port", "9", "--connections", "10", "--sources", "2");
        using (load)
        {
            Assert.Equal(2, exit);
            Assert.Contains("--sources binds to 127.0.0.x", load.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", load.Output, StringComparison.Ordinal);
        }
    }
}
