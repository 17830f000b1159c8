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
        var parts = paths.Select(p => (Path: p, Content: Read(p))).ToList();
        LoadResult merged;
        try
        {
            merged = new LoadResult
            {
                Connections = parts.Sum(p => p.Content.Connections),
                Connected = parts.Sum(p => p.Content.Connected),
                ConnectSeconds = parts.Max(p => p.Content.ConnectSeconds),
                Seconds = parts.Max(p => p.Content.Seconds),
                RoundTrips = parts.Sum(p => p.Content.RoundTrips),
                Bytes = parts.Sum(p => p.Content.Bytes),
                Refused = parts.Sum(p => p.Content.Refused),
                Reset = parts.Sum(p => p.Content.Reset),
                Timeout = parts.Sum(p => p.Content.Timeout),
                Mismatch = parts.Sum(p => p.Content.Mismatch),
                Other = parts.Sum(p => p.Content.Other),
            };
        }
        catch (OverflowException)
        {
            throw new LabException($"the load processes' results ({string.Join(", ", parts.Select(p => p.Path))}) add up past a counter's range; a result file is damaged, run again");
        }
        foreach ((string path, Content part) in parts)
        {
            foreach (long[] pair in part.Latency)
            {
                try
                {
                    merged.Latency.RecordValueWithCount(pair[0], pair[1]);
                }
                catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException)
                {
                    // The histogram's own range check (its top bucket ends a little above its highest trackable value).
                    throw Malformed(path, $"a latency of {pair[0]} microseconds is outside the histogram");
                }
            }
        }
        return merged;
    }

    /// <summary>One load process's result, checked: the file comes from another process, which may have died writing it.</summary>
    private static Content Read(string path)
    {
        Content? content;
        try
        {
            content = JsonSerializer.Deserialize<Content>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw Malformed(path, e.Message);
        }
        if (content is null)
        {
            throw new LabException($"load process result {path} is empty; that load process failed, run it again");
        }
        if (content.Latency is null)
        {
            throw Malformed(path, "it has no latency histogram");
        }
        // A recorded value is a latency in microseconds with a count of at least 1 (its range is checked as it is recorded).
        int bad = Array.FindIndex(content.Latency, p => p is not [>= 0, >= 1]);
        if (bad >= 0)
        {
            throw Malformed(path, $"latency entry {bad} is not a [microseconds, count] pair");
        }
        return content;
    }

    private static LabException Malformed(string path, string why) =>
        new($"load process result {path} is malformed ({why}); that load process failed or was cut short, run it again");
}
