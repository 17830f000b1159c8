using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A lock served by a <see cref="ProcessManager"/> (Python's <c>Manager().Lock()</c>). Held by a
/// connection (one per process); a process that dies holding it releases it. Releasing a lock that
/// is not held throws <see cref="SynchronizationLockException"/>, as <see cref="Monitor.Exit"/> does.
/// </summary>
public sealed class ManagedLock : ManagedProxy, IProcessShareable<ManagedLock>, IReleasable
{
    internal ManagedLock(ManagerClient client, int id) : base(client, id, ManagerKinds.Lock) { }

    static ManagedLock IProcessShareable<ManagedLock>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, _) = ReadProxy(ref reader);
        return new ManagedLock(client, id);
    }

    /// <summary>Waits until the lock is free and takes it (Python's <c>lock.acquire()</c>).</summary>
    public void Acquire() => Call(Ops.Acquire);

    /// <summary>Waits until the lock is free and takes it, or until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <exception cref="OperationCanceledException">Cancelled before the lock was taken (the manager drops the wait).</exception>
    public void Acquire(CancellationToken cancellationToken) =>
        TryCallWaiting(Ops.Acquire, Timeout.InfiniteTimeSpan, cancellationToken, out _);

    /// <summary>Waits until the lock is free and takes it, without blocking a thread.</summary>
    /// <exception cref="OperationCanceledException">Cancelled before the lock was taken (the manager drops the wait).</exception>
    public async Task AcquireAsync(CancellationToken cancellationToken = default) =>
        await CallWaitingAsync(Ops.Acquire, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);

    /// <summary>Takes the lock if it is free; false otherwise (Python's <c>acquire(False)</c>).</summary>
    public bool TryAcquire() => As<bool>(Call(Ops.TryAcquire));

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the lock (Python's <c>acquire(timeout=t)</c>); false when
    /// it stayed taken.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled before the lock was taken.</exception>
    public bool TryAcquire(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        TryCallWaiting(Ops.Acquire, timeout, cancellationToken, out _);

    /// <summary>Releases the lock (Python's <c>lock.release()</c>).</summary>
    public void Release() => Call(Ops.Release);

    /// <summary>Acquires the lock and returns a scope that releases it (Python's <c>with lock:</c>).</summary>
    public ProcessLockScope Hold()
    {
        Acquire();
        return new ProcessLockScope(this);
    }

    /// <summary>As <see cref="Hold()"/>, giving up when <paramref name="cancellationToken"/> is cancelled.</summary>
    public ProcessLockScope Hold(CancellationToken cancellationToken)
    {
        Acquire(cancellationToken);
        return new ProcessLockScope(this);
    }
}
