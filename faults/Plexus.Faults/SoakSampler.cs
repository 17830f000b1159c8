namespace Plexus.Faults;

/// <summary>Samples RSS, descriptors and threads of this process and every process under it.</summary>
internal static class SoakSampler
{
    /// <summary>The role of a process that came and went between samples (children, load runs).</summary>
    public const string Other = "short-lived";

    public static IEnumerable<SoakSample> Sample(double minutes, IReadOnlyDictionary<int, string> roles)
    {
        int self = Environment.ProcessId;
        foreach (int pid in ProcFs.Descendants(self).Append(self))
        {
            if (ProcFs.Size(pid) is { } size && ProcFs.FdCount(pid) is var fds and >= 0)
            {
                yield return new SoakSample(minutes, pid, roles.TryGetValue(pid, out string? role) ? role : Other, size.RssKiB, fds, size.Threads);
            }
        }
    }
}
