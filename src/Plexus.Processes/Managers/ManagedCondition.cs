using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A condition variable served by a <see cref="ProcessManager"/> (Python's <c>Manager().Condition()</c>),
/// with its own re-entrant lock held by one thread of one process. <see cref="Wait()"/> releases the lock,
/// waits to be notified, and takes the lock back before it returns, also when it timed out or was
/// cancelled. A waiting process that dies is dropped (a notify goes to a live waiter instead), and a lock
/// it held is released and logged as abandoned through <see cref="PlexusLogging"/>.
/// </summary>
public sealed class ManagedCondition : ManagedProxy, IProcessShareable<ManagedCondition>, IReleasable
{
    internal ManagedCondition(ManagerClient client, int id) : base(client, id, ManagerKinds.Condition) { }

    static ManagedCondition IProcessShareable<ManagedCondition>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, _) = ReadProxy(ref reader);
        return new ManagedCondition(client, id);
    }

    /// <summary>Takes the condition's lock (Python's <c>acquire()</c>).</summary>
    public void Acquire() => Call(Ops.Acquire, ManagedRLock.CallerThread);

    /// <summary>Takes the lock, waiting up to <paramref name="timeout"/>; false when it stayed taken.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first (the acquire is withdrawn).</exception>
    public bool TryAcquire(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        TryCallWaiting(Ops.Acquire, timeout, cancellationToken, out _, ManagedRLock.CallerThread);

    /// <summary>Releases one level of this thread's hold on the lock (Python's <c>release()</c>).</summary>
    public void Release() => Call(Ops.Release, ManagedRLock.CallerThread);

    /// <summary>Acquires the lock and returns a scope that releases it (Python's <c>with cond:</c>).</summary>
    public ProcessLockScope Hold()
    {
        Acquire();
        return new ProcessLockScope(this);
    }

    /// <summary>Releases the lock, waits as long as it takes to be notified, and takes the lock back (Python's <c>wait()</c>).</summary>
    /// <exception cref="SynchronizationLockException">This thread does not hold the lock.</exception>
    public void Wait() => Call(Ops.Wait, ManagedRLock.CallerThread);

    /// <summary>
    /// Releases the lock, waits up to <paramref name="timeout"/> to be notified, and takes the lock back
    /// (Python's <c>wait(timeout)</c>): true when notified, false when the timeout expired. A wait that
    /// gives up is withdrawn in the manager, so it never takes a later notify from another waiter.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first; the lock is held again.</exception>
    /// <exception cref="SynchronizationLockException">This thread does not hold the lock.</exception>
    public bool Wait(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        TryCallWaiting(Ops.Wait, timeout, cancellationToken, out object? notified, ManagedRLock.CallerThread);
        if (notified is true)
        {
            return true;
        }
        cancellationToken.ThrowIfCancellationRequested();
        return false;
    }

    /// <summary>
    /// Waits until <paramref name="predicate"/> (checked holding the lock) is true, up to <paramref name="timeout"/>
    /// in all (Python's <c>wait_for</c>); answers the predicate's last value.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first; the lock is held again.</exception>
    public bool WaitFor(Func<bool> predicate, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!predicate())
        {
            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return predicate();
            }
            Wait(deadline == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(left), cancellationToken);
        }
        return true;
    }

    /// <summary>Wakes up to <paramref name="count"/> waiters (Python's <c>notify(n)</c>); the caller must hold the lock.</summary>
    /// <exception cref="SynchronizationLockException">This thread does not hold the lock.</exception>
    public void Notify(int count = 1) => Call(Ops.Notify, ManagedRLock.CallerThread, count);

    /// <summary>Wakes every waiter (Python's <c>notify_all()</c>); the caller must hold the lock.</summary>
    /// <exception cref="SynchronizationLockException">This thread does not hold the lock.</exception>
    public void NotifyAll() => Call(Ops.NotifyAll, ManagedRLock.CallerThread);
}
