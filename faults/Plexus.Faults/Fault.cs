namespace Plexus.Faults;

/// <summary>The two process faults of the matrix: death without warning, and a pause the process does not see.</summary>
internal enum Fault
{
    /// <summary>SIGKILL: no handler runs, nothing is flushed.</summary>
    Kill,

    /// <summary>SIGSTOP, a random pause of 50-400 ms, SIGCONT: the process must pick up where it was.</summary>
    Stop,
}
