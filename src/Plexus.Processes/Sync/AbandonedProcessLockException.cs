namespace Plexus.Processes;

/// <summary>
/// The previous owner of a process lock died while holding it. The caller that gets this exception
/// now owns the lock (as with .NET's <see cref="AbandonedMutexException"/>): it must release it, and
/// should check the data the lock protects, which the dead owner may have left half-updated.
/// </summary>
public sealed class AbandonedProcessLockException : Exception
{
    /// <summary>Creates the exception for a lock taken over from <paramref name="previousOwnerPid"/>.</summary>
    public AbandonedProcessLockException(string lockName, int previousOwnerPid)
        : base($"the previous owner of the {lockName}, pid {previousOwnerPid}, died while holding the lock; " +
               "this thread now owns it (release it as usual), but the protected data may be inconsistent: check it before use")
        => PreviousOwnerPid = previousOwnerPid;

    /// <summary>The pid of the process that died holding the lock.</summary>
    public int PreviousOwnerPid { get; }
}
