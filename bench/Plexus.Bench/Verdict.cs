using System.Globalization;

/// <summary>
/// One target's verdict: printed as <c>met</c>/<c>not met</c> beside its ratio, and, when the
/// scenario runs under <see cref="BenchRuns"/>, recorded for the summary of all runs.
/// </summary>
internal static class Verdict
{
    /// <summary>The file a run records its verdicts to (one "label TAB ratio TAB met" line each), set by <see cref="BenchRuns"/>.</summary>
    public const string FileVariable = "PLEXUS_BENCH_VERDICTS";

    /// <summary>Returns "met" or "not met" and records the verdict.</summary>
    public static string Of(string label, double ratio, bool met)
    {
        if (Environment.GetEnvironmentVariable(FileVariable) is { Length: > 0 } path)
        {
            File.AppendAllText(path, string.Create(CultureInfo.InvariantCulture, $"{label}\t{ratio:F3}\t{(met ? 1 : 0)}\n"));
        }
        return met ? "met" : "not met";
    }
}
