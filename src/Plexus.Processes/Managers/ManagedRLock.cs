using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A re-entrant lock served by a <see cref="ProcessManager"/> (Python's <c>Manager().RLock()</c>): held by
/// one thread of one process, which may acquire it again and must release it as many times. A process
/// that dies holding it releases it (the manager logs it as abandoned through <see cref="PlexusLogging"/>)
/// and the next waiter gets it; an acquire that times out or is cancelled is withdrawn in the manager.
/// Releasing it from a thread that does not hold it throws <see cref="SynchronizationLockException"/>.
/// </summary>
public sealed class ManagedRLock : ManagedProxy, IProcessShareable<ManagedRLock>, IReleasable
{
    internal ManagedRLock(ManagerClient client, int id) : base(client, id, ManagerKinds.RLock) { }

    static ManagedRLock IProcessShareable<ManagedRLock>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, _) = ReadProxy(ref reader);
        return new ManagedRLock(client, id);
    }

    /// <summary>Takes the lock, waiting as long as another thread holds it (Python's <c>acquire()</c>).</summary>
    public void Acquire() => Call(Ops.Acquire, CallerThread);

    /// <summary>Takes the lock, waiting until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <exception cref="OperationCanceledException">Cancelled first (the acquire is withdrawn in the manager).</exception>
    public void Acquire(CancellationToken cancellationToken) => TryAcquire(Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Takes the lock if this thread can now; false when another holds it (Python's <c>acquire(False)</c>).</summary>
    public bool TryAcquire() => As<bool>(Call(Ops.TryAcquire, CallerThread));

    /// <summary>Takes the lock, waiting up to <paramref name="timeout"/> (Python's <c>acquire(timeout=t)</c>); false when it stayed taken.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public bool TryAcquire(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        TryCallWaiting(Ops.Acquire, timeout, cancellationToken, out _, CallerThread);

    /// <summary>Releases one level of this thread's hold (Python's <c>release()</c>).</summary>
    public void Release() => Call(Ops.Release, CallerThread);

    /// <summary>Acquires the lock and returns a scope that releases it (Python's <c>with rlock:</c>).</summary>
    public ProcessLockScope Hold()
    {
        Acquire();
        return new ProcessLockScope(this);
    }

    /// <summary>The id the manager knows this thread by: a lock is held by one thread of one connection.</summary>
    internal static object CallerThread => Environment.CurrentManagedThreadId;
}
