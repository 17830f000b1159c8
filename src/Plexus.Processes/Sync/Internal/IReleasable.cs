namespace Plexus.Processes.Sync;

/// <summary>What a <see cref="ProcessLockScope"/> releases: a process lock, a semaphore slot or a managed lock.</summary>
internal interface IReleasable
{
    /// <summary>Releases what one acquire took.</summary>
    void Release();
}
