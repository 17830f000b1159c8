using Plexus.Lab.Bench;

namespace Plexus.Lab.Tests;

/// <summary>The claims table's verdicts come from the cells: made-up cells give each claim both verdicts.</summary>
public sealed class SeedClaimsTests
{
    [Theory]
    [InlineData(9000, SeedClaim.Holds)] // 10,000 - 9,000 = 1,000 served
    [InlineData(0, SeedClaim.DoesNotHold)]
    public void Select_limit(long errors, string verdict)
        => Assert.Equal(verdict, Verdict(0, [Cell("select", 10000, errors: errors)]));

    [Theory]
    [InlineData(5.0, 9.0, 5.0, 5.2, SeedClaim.Holds)]
    [InlineData(5.0, 5.1, 5.0, 5.2, SeedClaim.DoesNotHold)]
    [InlineData(5.0, 9.0, 5.0, 9.5, SeedClaim.DoesNotHold)] // epoll grew as much
    public void Poll_grows_epoll_does_not(double pollLow, double pollHigh, double epollLow, double epollHigh, string verdict)
        => Assert.Equal(verdict, Verdict(1,
            [Cell("poll", 100, cpu: pollLow), Cell("poll", 10000, cpu: pollHigh), Cell("epoll", 100, cpu: epollLow), Cell("epoll", 10000, cpu: epollHigh)]));

    [Theory]
    [InlineData(100_000, 90, SeedClaim.Holds)] // threads as fast, lower latency
    [InlineData(50_000, 300, SeedClaim.DoesNotHold)] // threads slower and slower to answer
    public void Few_connections(double threadsRate, double threadsLatency, string verdict)
        => Assert.Equal(verdict, Verdict(2,
        [
            Cell("threads", 10, rate: threadsRate, p50: threadsLatency, p99: threadsLatency * 2),
            Cell("select", 10, rate: 90_000, p50: 100, p99: 200),
            Cell("epoll", 10, rate: 95_000, p50: 100, p99: 200),
        ]));

    [Theory]
    [InlineData(6.0, SeedClaim.Holds)]
    [InlineData(7.9, SeedClaim.DoesNotHold)] // within noise
    [InlineData(9.0, SeedClaim.DoesNotHold)]
    public void Edge_triggered_is_faster(double etCpu, string verdict)
        => Assert.Equal(verdict, Verdict(3, [Cell("epoll", 10000, cpu: 8.0), Cell("epoll-et", 10000, cpu: etCpu)]));

    [Theory]
    [InlineData(100, 20.0, SeedClaim.Holds)]
    [InlineData(1, 6.0, SeedClaim.DoesNotHold)]
    public void Busy_polling_wastes_cpu(double idle, double cpu, string verdict)
        => Assert.Equal(verdict, Verdict(4, [Cell("nonblocking", 10, cpu: cpu, idle: idle), Cell("epoll", 10, cpu: 5.0, idle: 0)]));

    [Theory]
    [InlineData(9.0, 0, SeedClaim.Holds)]
    [InlineData(5.0, 0, SeedClaim.DoesNotHold)]
    [InlineData(5.0, 3, SeedClaim.Holds)] // cheaper, but it lost connections
    public void Signal_driven_saves_nothing(double sigioCpu, long errors, string verdict)
        => Assert.Equal(verdict, Verdict(5, [Cell("sigio", 10000, cpu: sigioCpu, errors: errors), Cell("epoll", 10000, cpu: 8.0)]));

    [Fact]
    public void A_claim_without_its_cells_is_not_measured()
    {
        List<SeedClaim> claims = SeedClaims.Evaluate([Cell("epoll", 100)]);
        Assert.Equal(6, claims.Count);
        Assert.All(claims, c => Assert.Equal(SeedClaim.NotMeasured, c.Verdict));
    }

    private static string Verdict(int claim, BenchCell[] cells)
    {
        SeedClaim row = SeedClaims.Evaluate(cells)[claim];
        Assert.DoesNotContain("NaN", row.Measured, StringComparison.Ordinal);
        return row.Verdict;
    }

    private static BenchCell Cell(string model, int connections, double cpu = 5, double rate = 100_000, double p50 = 100, double p99 = 1000, long errors = 0, double? idle = null)
        => new()
        {
            Model = model,
            Connections = connections,
            RoundTrips = (long)rate * 3,
            RoundTripsPerSecond = rate,
            ServerCpuUsPerRoundTrip = cpu,
            P50Us = p50,
            P99Us = p99,
            Errors = errors,
            ErrorSummary = errors == 0 ? "none" : $"{errors} reset",
            ServerIdleCpuPercent = idle,
        };
}
