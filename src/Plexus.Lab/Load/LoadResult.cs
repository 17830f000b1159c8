using System.Text.Json;
using HdrHistogram;

namespace Plexus.Lab.Load;

/// <summary>What a load run measured.</summary>
internal sealed class LoadResult
{
    public int Connections { get; init; }
    public long Connected { get; set; }
    public double ConnectSeconds { get; set; }
    public double Seconds { get; set; }
    public long RoundTrips { get; set; }
    public long Bytes { get; set; }
    public long Refused { get; set; }
    public long Reset { get; set; }
    public long Timeout { get; set; }
    public long Mismatch { get; set; }
    public long Other { get; set; }
    public LongHistogram Latency { get; } = new(1, 60_000_000, 3);

    public long Errors => Refused + Reset + Timeout + Mismatch + Other;
    public double RoundTripsPerSecond => Seconds > 0 ? RoundTrips / Seconds : 0;
    public double MegabytesPerSecond => Seconds > 0 ? Bytes / Seconds / 1e6 : 0;

    public double Percentile(double p) => Latency.TotalCount == 0 ? 0 : Latency.GetValueAtPercentile(p);

    public long MaxLatency => Latency.TotalCount == 0 ? 0 : Latency.GetMaxValue();

    /// <summary>The <c>--json</c> document: exactly the keys the lab's issue lists.</summary>
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["connections"] = Connections,
        ["connected"] = Connected,
        ["errors"] = Errors,
        ["mismatches"] = Mismatch,
        ["roundTrips"] = RoundTrips,
        ["roundTripsPerSecond"] = Math.Round(RoundTripsPerSecond, 1),
        ["latencyUs"] = new Dictionary<string, double>
        {
            ["p50"] = Percentile(50),
            ["p90"] = Percentile(90),
            ["p99"] = Percentile(99),
            ["p999"] = Percentile(99.9),
            ["max"] = MaxLatency,
        },
    }, s_jsonOptions);

    private static readonly JsonSerializerOptions s_jsonOptions = new() { WriteIndented = true };

    public string ErrorSummary() => Errors == 0
        ? "none"
        : string.Join(", ", new[] { ("refused", Refused), ("reset", Reset), ("timeout", Timeout), ("mismatch", Mismatch), ("other", Other) }
            .Where(e => e.Item2 > 0).Select(e => $"{e.Item2} {e.Item1}"));
}
