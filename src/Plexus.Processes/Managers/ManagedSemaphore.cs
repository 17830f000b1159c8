using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A counting semaphore served by a <see cref="ProcessManager"/> (Python's <c>Manager().Semaphore(n)</c>
/// and, made with <see cref="ProcessManager.CreateBoundedSemaphore"/>, <c>BoundedSemaphore(n)</c>, whose
/// extra release throws <see cref="SemaphoreFullException"/>). An acquire that times out or is cancelled
/// is withdrawn in the manager, so it never takes a later release. Permits have no owner, as in Python:
/// a process that dies loses its waiting acquires, but permits it took are not given back.
/// </summary>
public sealed class ManagedSemaphore : ManagedProxy, IProcessShareable<ManagedSemaphore>, IReleasable
{
    internal ManagedSemaphore(ManagerClient client, int id, string kind) : base(client, id, kind) { }

    static ManagedSemaphore IProcessShareable<ManagedSemaphore>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, string kind) = ReadProxy(ref reader);
        return new ManagedSemaphore(client, id, kind);
    }

    /// <summary>True for a bounded semaphore.</summary>
    public bool IsBounded => Kind == ManagerKinds.BoundedSemaphore;

    /// <summary>The permits free now (Python's <c>get_value()</c>).</summary>
    public int CurrentCount => As<int>(Call(Ops.Count));

    /// <summary>Takes a permit, waiting as long as it takes (Python's <c>acquire()</c>).</summary>
    public void Acquire() => Call(Ops.Acquire);

    /// <summary>Takes a permit, waiting until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <exception cref="OperationCanceledException">Cancelled first (the acquire is withdrawn in the manager).</exception>
    public void Acquire(CancellationToken cancellationToken) => TryAcquire(Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Takes a permit if one is free; false otherwise (Python's <c>acquire(False)</c>).</summary>
    public bool TryAcquire() => As<bool>(Call(Ops.TryAcquire));

    /// <summary>Takes a permit, waiting up to <paramref name="timeout"/> (Python's <c>acquire(timeout=t)</c>); false when none came.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public bool TryAcquire(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        TryCallWaiting(Ops.Acquire, timeout, cancellationToken, out _);

    /// <summary>Takes a permit without blocking a thread; false when <paramref name="timeout"/> expired first.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public async Task<bool> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        (await CallWaitingAsync(Ops.Acquire, timeout, cancellationToken).ConfigureAwait(false)).Done;

    /// <summary>Gives back one permit (Python's <c>release()</c>).</summary>
    /// <exception cref="SemaphoreFullException">A bounded semaphore would go over its initial value.</exception>
    public void Release() => Call(Ops.Release, 1);

    /// <summary>Gives back <paramref name="count"/> permits at once (Python's <c>release(n)</c>).</summary>
    /// <exception cref="SemaphoreFullException">A bounded semaphore would go over its initial value (nothing is released).</exception>
    public void Release(int count) => Call(Ops.Release, count);

    /// <summary>Takes a permit and returns a scope that gives it back (Python's <c>with sem:</c>).</summary>
    public ProcessLockScope Hold()
    {
        Acquire();
        return new ProcessLockScope(this);
    }
}
