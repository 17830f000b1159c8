namespace Plexus.Processes.Sync;

/// <summary>What a lock scope and a condition need from a process lock.</summary>
internal interface IProcessLockCore
{
    /// <summary>Releases one level of ownership (throws when the caller does not own the lock).</summary>
    void Release();

    /// <summary>Whether the calling thread owns the lock.</summary>
    bool IsOwnedByCurrentThread { get; }

    /// <summary>Releases fully before a condition wait and returns what to restore.</summary>
    int ReleaseForWait();

    /// <summary>Takes the lock back after a condition wait, restoring the recursion depth.</summary>
    void ReacquireAfterWait(int saved);
}
