using System.Globalization;

namespace Plexus.Lab.Bench;

/// <summary>
/// The seed's claims about the I/O models, each decided by this run's cells: the verdicts are
/// computed, never written by hand, so a run that contradicts the seed says so.
/// </summary>
internal static class SeedClaims
{
    /// <summary>Relative differences below this are treated as noise on a shared machine.</summary>
    public const double Noise = 0.05;

    public static List<SeedClaim> Evaluate(IReadOnlyList<BenchCell> cells)
    {
        int[] levels = [.. cells.Select(c => c.Connections).Distinct().Order()];
        return
        [
            SelectLimit(cells),
            PollGrowth(cells, levels),
            FewConnections(cells, levels),
            EdgeTriggered(cells, levels),
            BusyPolling(cells, levels),
            SignalDriven(cells, levels),
        ];
    }

    private static SeedClaim SelectLimit(IReadOnlyList<BenchCell> cells)
    {
        const string Says = "select cannot watch more than 1,024 descriptors";
        BenchCell? over = cells.Where(c => c.Model == "select" && c.Connections > 1024 && c.Skipped is null).MaxBy(c => c.Connections);
        if (over is null)
        {
            return Missing(Says, "select at a level above 1,024 connections");
        }
        long served = over.Connections - over.Errors;
        return new SeedClaim(Says,
            F($"select @ {over.Connections:N0}: {over.Errors:N0} connections failed ({over.ErrorSummary}), {served:N0} served"),
            served <= 1024 ? SeedClaim.Holds : SeedClaim.DoesNotHold);
    }

    private static SeedClaim PollGrowth(IReadOnlyList<BenchCell> cells, int[] levels)
    {
        const string Says = "poll's cost grows with the number of descriptors, epoll's does not";
        // The smallest level of 100 or more: below that, fixed per-wake costs hide the per-descriptor ones.
        int low = levels.FirstOrDefault(l => l >= 100, levels.FirstOrDefault());
        int high = levels.LastOrDefault();
        if (Find(cells, "poll", low) is not { } pl || Find(cells, "poll", high) is not { } ph
            || Find(cells, "epoll", low) is not { } el || Find(cells, "epoll", high) is not { } eh || low == high)
        {
            return Missing(Says, "poll and epoll at two levels");
        }
        double poll = ph.ServerCpuUsPerRoundTrip / pl.ServerCpuUsPerRoundTrip;
        double epoll = eh.ServerCpuUsPerRoundTrip / el.ServerCpuUsPerRoundTrip;
        bool holds = poll >= 1.2 && poll >= epoll * (1 + 3 * Noise);
        return new SeedClaim(Says,
            F($"server CPU µs/rt from {low:N0} to {high:N0} connections: poll {pl.ServerCpuUsPerRoundTrip:0.0} → {ph.ServerCpuUsPerRoundTrip:0.0} (×{poll:0.00}), epoll {el.ServerCpuUsPerRoundTrip:0.0} → {eh.ServerCpuUsPerRoundTrip:0.0} (×{epoll:0.00})"),
            holds ? SeedClaim.Holds : SeedClaim.DoesNotHold);
    }

    private static SeedClaim FewConnections(IReadOnlyList<BenchCell> cells, int[] levels)
    {
        const string Says = "with few connections, select/epoll is not necessarily faster than threads + blocking I/O, and its latency may be higher";
        int low = levels.FirstOrDefault();
        if (Find(cells, "threads", low) is not { } t || Find(cells, "select", low) is not { } s || Find(cells, "epoll", low) is not { } e)
        {
            return Missing(Says, "threads, select and epoll at the smallest level");
        }
        bool notFaster = t.RoundTripsPerSecond >= (1 - Noise) * Math.Min(s.RoundTripsPerSecond, e.RoundTripsPerSecond);
        bool higherLatency = Math.Max(s.P50Us, e.P50Us) > t.P50Us || Math.Max(s.P99Us, e.P99Us) > t.P99Us;
        return new SeedClaim(Says,
            F($"@ {low:N0} connections, rt/s (p50/p99 µs): threads {t.RoundTripsPerSecond:N0} ({t.P50Us:0}/{t.P99Us:0}), select {s.RoundTripsPerSecond:N0} ({s.P50Us:0}/{s.P99Us:0}), epoll {e.RoundTripsPerSecond:N0} ({e.P50Us:0}/{e.P99Us:0})"),
            notFaster || higherLatency ? SeedClaim.Holds : SeedClaim.DoesNotHold);
    }

    private static SeedClaim EdgeTriggered(IReadOnlyList<BenchCell> cells, int[] levels)
    {
        const string Says = "edge-triggered epoll is in theory faster than level-triggered";
        int high = levels.LastOrDefault();
        if (Find(cells, "epoll", high) is not { } lt || Find(cells, "epoll-et", high) is not { } et)
        {
            return Missing(Says, "epoll and epoll-et at the largest level");
        }
        double ratio = et.ServerCpuUsPerRoundTrip / lt.ServerCpuUsPerRoundTrip;
        return new SeedClaim(Says,
            F($"@ {high:N0} connections, server CPU µs/rt: epoll-et {et.ServerCpuUsPerRoundTrip:0.0}, epoll {lt.ServerCpuUsPerRoundTrip:0.0} (×{ratio:0.00}; ±{Noise * 100:0}% is noise)"),
            ratio <= 1 - Noise ? SeedClaim.Holds : SeedClaim.DoesNotHold);
    }

    private static SeedClaim BusyPolling(IReadOnlyList<BenchCell> cells, int[] levels)
    {
        const string Says = "non-blocking I/O without a readiness API (polling every socket) wastes CPU";
        int low = levels.FirstOrDefault();
        if (Find(cells, "nonblocking", low) is not { } nb || Find(cells, "epoll", low) is not { } e
            || nb.ServerIdleCpuPercent is not { } nbIdle || e.ServerIdleCpuPercent is not { } eIdle)
        {
            return Missing(Says, "nonblocking and epoll at the smallest level, with idle CPU");
        }
        double ratio = nb.ServerCpuUsPerRoundTrip / e.ServerCpuUsPerRoundTrip;
        return new SeedClaim(Says,
            F($"idle (no connection): nonblocking {nbIdle:0}% of a core, epoll {eIdle:0}%; @ {low:N0} connections, server CPU µs/rt: nonblocking {nb.ServerCpuUsPerRoundTrip:0.0}, epoll {e.ServerCpuUsPerRoundTrip:0.0} (×{ratio:0.00})"),
            nbIdle >= 50 || ratio >= 1.5 ? SeedClaim.Holds : SeedClaim.DoesNotHold);
    }

    private static SeedClaim SignalDriven(IReadOnlyList<BenchCell> cells, int[] levels)
    {
        const string Says = "signal-driven I/O is rarely used: for all its complexity (a signal per event, a bounded queue whose overflow forces a rescan of every socket, per-thread delivery) it saves nothing over epoll";
        int high = levels.LastOrDefault();
        if (Find(cells, "sigio", high) is not { } s || Find(cells, "epoll", high) is not { } e)
        {
            return Missing(Says, "sigio and epoll at the largest level");
        }
        double ratio = s.ServerCpuUsPerRoundTrip / e.ServerCpuUsPerRoundTrip;
        return new SeedClaim(Says,
            F($"@ {high:N0} connections, server CPU µs/rt: sigio {s.ServerCpuUsPerRoundTrip:0.0}, epoll {e.ServerCpuUsPerRoundTrip:0.0} (×{ratio:0.00}); p99 µs: sigio {s.P99Us:0}, epoll {e.P99Us:0}; sigio errors: {s.ErrorSummary}"),
            ratio >= 1 - 2 * Noise || s.Errors > 0 ? SeedClaim.Holds : SeedClaim.DoesNotHold);
    }

    private static BenchCell? Find(IReadOnlyList<BenchCell> cells, string model, int level)
        => cells.FirstOrDefault(c => c.Model == model && c.Connections == level && c.HasNumbers && c.ServerCpuUsPerRoundTrip > 0);

    private static SeedClaim Missing(string says, string what) => new(says, $"this run has no {what}", SeedClaim.NotMeasured);

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
