using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// A lock served by a <see cref="ProcessManager"/> (Python's <c>Manager().Lock()</c>). Held by a
/// connection (one per process); a process that dies holding it releases it. Releasing a lock that
/// is not held throws <see cref="SynchronizationLockException"/>, as <see cref="Monitor.Exit"/> does.
/// </summary>
public sealed class ManagedLock : ManagedProxy, IProcessShareable<ManagedLock>, IReleasable
{
    internal ManagedLock(ManagerClient client, int id) : base(client, id, "lock") { }

    static ManagedLock IProcessShareable<ManagedLock>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, _) = ReadProxy(ref reader);
        return new ManagedLock(client, id);
    }

    /// <summary>Waits until the lock is free and takes it (Python's <c>lock.acquire()</c>).</summary>
    public void Acquire() => Call("acquire");

    /// <summary>Takes the lock if it is free; false otherwise (Python's <c>acquire(False)</c>).</summary>
    public bool TryAcquire() => As<bool>(Call("tryacquire"));

    /// <summary>Releases the lock (Python's <c>lock.release()</c>).</summary>
    public void Release() => Call("release");

    /// <summary>Acquires the lock and returns a scope that releases it (Python's <c>with lock:</c>).</summary>
    public ProcessLockScope Hold()
    {
        Acquire();
        return new ProcessLockScope(this);
    }
}
