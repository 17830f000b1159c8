namespace Plexus.Lab.Tests;

/// <summary>
/// <c>plexus bench</c> beyond one process's descriptor limit: which models say why they cannot
/// hold a level, and that a level loaded by several load processes is measured whole.
/// </summary>
public sealed class C100KBenchTests
{
    [Theory]
    [InlineData("epoll")]
    [InlineData("threads")]
    [InlineData("dotnet-async")]
    [InlineData("coroutines")]
    public void Single_process_model_above_the_limit_says_the_limit_and_the_way_out(string model)
    {
        string? why = BenchCommand.CannotHold(model, 100_000, 20_000);
        Assert.NotNull(why);
        Assert.Contains("20,000 descriptors", why, StringComparison.Ordinal);
        Assert.Contains("prefork --workers 7", why, StringComparison.Ordinal);
        Assert.Contains("io-uring --workers 7", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_above_the_limit_says_it_watches_only_descriptors_below_1024()
    {
        string? why = BenchCommand.CannotHold("select", 100_000, 20_000);
        Assert.NotNull(why);
        Assert.Contains("below 1,024", why, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("select", 10_000)] // above 1,024 but within the limit: measured, to show the claim
    [InlineData("epoll", 10_000)]
    [InlineData("io-uring", 100_000)]
    [InlineData("prefork", 100_000)]
    public void Models_that_can_hold_the_level_are_run(string model, int connections)
        => Assert.Null(BenchCommand.CannotHold(model, connections, 20_000));

    [Fact]
    public void A_level_loaded_by_two_load_processes_is_measured_with_zero_errors()
    {
        string output = Path.Combine(Path.GetTempPath(), $"plexus-c100k-{Guid.NewGuid():N}");
        try
        {
            (int exit, LabProcess bench) = LabProcess.Run(TimeSpan.FromMinutes(3),
                "bench", "--models", "epoll", "--connections", "3000", "--load-share", "1500", "--duration", "1s", "--out", output);
            using (bench)
            {
                Assert.Equal(0, exit);
                Assert.Contains(bench.Stdout, l => l.Contains("2 load processes", StringComparison.Ordinal));
            }
            System.Text.Json.JsonElement cell = LabProcess.ReadJson(Path.Combine(output, "results.json")).GetProperty("cells")[0];
            Assert.Equal(System.Text.Json.JsonValueKind.Null, cell.GetProperty("Skipped").ValueKind);
            Assert.Equal(3000, cell.GetProperty("Connected").GetInt64());
            Assert.Equal(0, cell.GetProperty("Errors").GetInt64());
            Assert.True(cell.GetProperty("RoundTrips").GetInt64() > 0);
            Assert.True(cell.GetProperty("ServerRssMb").GetDouble() > 0);
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }
}
