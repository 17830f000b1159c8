using System.Globalization;
using System.Text;

namespace Plexus.Lab.Bench;

/// <summary>results.md: the five-model table by connection level, then the seed's claims and their verdicts.</summary>
internal static class BenchReport
{
    public static string Markdown(IReadOnlyList<BenchCell> cells, IReadOnlyList<string> models, int[] levels, TimeSpan window, IReadOnlyList<SeedClaim> claims, string baseline)
    {
        var sb = new StringBuilder();
        CultureInfo c = CultureInfo.InvariantCulture;
        sb.AppendLine(c, $"Echo ping-pong, 32-byte messages, {window.TotalSeconds:0.#} s per cell, {Environment.ProcessorCount} cores; one load thread in the bench process; server CPU = utime+stime of the server process tree over the measured window; idle CPU = the server's CPU with no connection, in % of one core; drops = packets the kernel dropped from a full per-CPU input backlog (net.core.netdev_max_backlog) during the cell, each one a TCP retransmit. Ratios are to `{baseline}` at the same level in the same run (×rt/s higher is better, ×CPU lower is better). Models are grouped by the seed's five I/O models.");
        sb.AppendLine();
        sb.AppendLine("| I/O model | server | connections | round trips/s | p50 µs | p99 µs | server CPU µs/rt | idle CPU % | RSS MB | ×rt/s | ×CPU | errors | drops |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        foreach (BenchCell cell in cells.OrderBy(x => Array.IndexOf(levels, x.Connections)).ThenBy(x => ModelGroups.SortKey(x.Model, models)))
        {
            if (cell.Skipped is not null)
            {
                sb.AppendLine(c, $"| {cell.Group} | {cell.Model} | {cell.Connections} | {cell.Skipped} | | | | | | | | | |");
                continue;
            }
            sb.AppendLine(c, $"| {cell.Group} | {cell.Model} | {cell.Connections} | {cell.RoundTripsPerSecond:0} | {cell.P50Us:0} | {cell.P99Us:0} | {cell.ServerCpuUsPerRoundTrip:0.0} | {Idle(cell)} | {cell.ServerRssMb:0} | {Ratio(cell.ThroughputVsBaseline)} | {Ratio(cell.CpuVsBaseline)} | {cell.ErrorSummary} | {cell.KernelDrops} |");
        }
        sb.AppendLine();
        sb.AppendLine("What the seed says, and what this run measured (verdicts computed from the cells above):");
        sb.AppendLine();
        sb.Append(ClaimsTable(claims));
        return sb.ToString();
    }

    public static string ClaimsTable(IReadOnlyList<SeedClaim> claims)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| what the seed says | what we measured | verdict |");
        sb.AppendLine("|---|---|---|");
        foreach (SeedClaim claim in claims)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {claim.Says} | {claim.Measured} | **{claim.Verdict}** |");
        }
        return sb.ToString();
    }

    private static string Idle(BenchCell cell) => cell.ServerIdleCpuPercent is { } p ? p.ToString("0", CultureInfo.InvariantCulture) : "—";

    private static string Ratio(double? r) => r is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "—";
}
