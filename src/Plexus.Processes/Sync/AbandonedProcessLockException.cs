namespace Plexus.Processes;

/// <summary>
/// The previous owner of a process lock died while holding it. The caller that gets this exception
/// now owns the lock (as with .NET's <see cref="AbandonedMutexException"/>): it must release it,
/// through <see cref="Scope"/> (a <c>using</c> around <c>Acquire()</c> never got the scope), and
/// should check the data the lock protects, which the dead owner may have left half-updated:
/// <code>
/// ProcessLockScope held;
/// try { held = myLock.Acquire(); }
/// catch (AbandonedProcessLockException e) { held = e.Scope; RepairSharedData(); }
/// using (held) { ... }
/// </code>
/// </summary>
public sealed class AbandonedProcessLockException : Exception
{
    /// <summary>Creates the exception for a lock taken over from <paramref name="previousOwnerPid"/>, with no scope to release.</summary>
    public AbandonedProcessLockException(string lockName, int previousOwnerPid) : this(lockName, previousOwnerPid, default) { }

    internal AbandonedProcessLockException(string lockName, int previousOwnerPid, ProcessLockScope scope)
        : base($"the previous owner of the {lockName}, pid {previousOwnerPid}, died while holding the lock; " +
               "this thread now owns it: release it through this exception's Scope (or Release), and check the protected data, which may be inconsistent")
    {
        PreviousOwnerPid = previousOwnerPid;
        Scope = scope;
    }

    /// <summary>The pid of the process that died holding the lock.</summary>
    public int PreviousOwnerPid { get; }

    /// <summary>The scope the interrupted <c>Acquire</c> would have returned: dispose it to release the lock this thread now owns.</summary>
    public ProcessLockScope Scope { get; }
}
