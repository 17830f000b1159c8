using System.Text.Json;

namespace Plexus.Lab.Load;

/// <summary>
/// How a load process hands its whole result to the <c>--processes</c> parent: every counter and
/// the latency histogram's recorded values, so the parent's percentiles are those of all
/// connections, not an average of percentiles.
/// </summary>
internal static class LoadResultFile
{
    private sealed record Content(
        int Connections, long Connected, double ConnectSeconds, double Seconds, long RoundTrips, long Bytes,
        long Refused, long Reset, long Timeout, long Mismatch, long Other, long[][] Latency);

    public static void Write(string path, LoadResult r)
    {
        long[][] latency = [.. r.Latency.RecordedValues().Select(v => new[] { v.ValueIteratedTo, v.CountAtValueIteratedTo })];
        var content = new Content(r.Connections, r.Connected, r.ConnectSeconds, r.Seconds, r.RoundTrips, r.Bytes,
            r.Refused, r.Reset, r.Timeout, r.Mismatch, r.Other, latency);
        File.WriteAllText(path, JsonSerializer.Serialize(content));
    }

    /// <summary>
    /// Merges the processes' results: counts add up; the connect time and the measured window are the
    /// longest of them (the processes run side by side, so their windows overlap).
    /// </summary>
    public static LoadResult Merge(IEnumerable<string> paths)
    {
        var parts = paths.Select(p => JsonSerializer.Deserialize<Content>(File.ReadAllText(p))
            ?? throw new LabException($"load process result {p} is empty")).ToList();
        var merged = new LoadResult
        {
            Connections = parts.Sum(p => p.Connections),
            Connected = parts.Sum(p => p.Connected),
            ConnectSeconds = parts.Max(p => p.ConnectSeconds),
            Seconds = parts.Max(p => p.Seconds),
            RoundTrips = parts.Sum(p => p.RoundTrips),
            Bytes = parts.Sum(p => p.Bytes),
            Refused = parts.Sum(p => p.Refused),
            Reset = parts.Sum(p => p.Reset),
            Timeout = parts.Sum(p => p.Timeout),
            Mismatch = parts.Sum(p => p.Mismatch),
            Other = parts.Sum(p => p.Other),
        };
        foreach (long[] pair in parts.SelectMany(p => p.Latency))
        {
            merged.Latency.RecordValueWithCount(pair[0], pair[1]);
        }
        return merged;
    }
}
