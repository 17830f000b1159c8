namespace Plexus.Faults;

/// <summary>One process at one sampling instant of the soak.</summary>
internal readonly record struct SoakSample(double Minutes, int Pid, string Role, long RssKiB, int Descriptors, int Threads);
