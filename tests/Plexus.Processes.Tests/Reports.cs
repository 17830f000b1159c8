namespace Plexus.Processes.Tests;

/// <summary>
/// Reads a child's report with a bound: a child that dies before it reports fails the test with a
/// message instead of hanging it.
/// </summary>
internal static class Reports
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(120);

    public static object? Next(this ManagedQueue report) =>
        report.TryGet(out object? item, s_patience) ? item : throw new TimeoutException($"no report from the child in {s_patience.TotalSeconds} s (did it die?)");

    public static T Next<T>(this ProcessQueue<T> report) => report.Get(s_patience);
}
