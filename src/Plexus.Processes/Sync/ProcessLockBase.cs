using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// What <see cref="ProcessLock"/>, <see cref="ProcessRLock"/> and <see cref="ProcessSemaphore"/> share
/// (Python puts them all on one <c>SemLock</c>): acquiring with or without a timeout and a
/// cancellation token, and a <see cref="ProcessLockScope"/> that releases. Only Plexus derives from it.
/// </summary>
/// <remarks>
/// A lock (<see cref="ProcessLock"/>, <see cref="ProcessRLock"/>) whose owner process died holding it
/// is taken over by the next acquirer, which gets <see cref="AbandonedProcessLockException"/> while
/// owning it; release it through <see cref="AbandonedProcessLockException.Scope"/>:
/// <code>
/// ProcessLockScope held;
/// try { held = myLock.Acquire(); }
/// catch (AbandonedProcessLockException e) { held = e.Scope; RepairSharedData(); }
/// using (held) { ... }
/// </code>
/// </remarks>
public abstract unsafe class ProcessLockBase : IReleasable, IDisposable
{
    /// <summary>The shared state; every operation runs between its <c>Enter</c> and <c>Exit</c>.</summary>
    private protected readonly SharedMemory _memory;

    private protected ProcessLockBase(SharedMemory memory) => _memory = memory;

    /// <summary>
    /// Blocks until the lock (or a semaphore slot) is taken (Python's <c>acquire()</c>); dispose the
    /// result to release it once: <c>using (myLock.Acquire()) { ... }</c>.
    /// </summary>
    /// <exception cref="AbandonedProcessLockException">A lock's previous owner died holding it; the caller owns it now and releases it through the exception's <see cref="AbandonedProcessLockException.Scope"/>.</exception>
    /// <exception cref="LockRecursionException">A <see cref="ProcessLock"/> already held by this thread.</exception>
    /// <exception cref="ObjectDisposedException">Disposed in this process (also while waiting).</exception>
    public ProcessLockScope Acquire() => Acquire(CancellationToken.None);

    /// <summary>Like <see cref="Acquire()"/>, giving up when <paramref name="cancellationToken"/> fires.</summary>
    /// <exception cref="OperationCanceledException">The token fired first; nothing was taken.</exception>
    /// <exception cref="AbandonedProcessLockException">A lock's previous owner died holding it; the caller owns it now and releases it through the exception's <see cref="AbandonedProcessLockException.Scope"/>.</exception>
    public ProcessLockScope Acquire(CancellationToken cancellationToken)
    {
        TryAcquire(Timeout.InfiniteTimeSpan, cancellationToken);
        return new ProcessLockScope(this);
    }

    /// <summary>Takes the lock (or a slot) if it is free now (Python's <c>acquire(False)</c>); a <see cref="ProcessRLock"/> already held by this thread is taken again.</summary>
    public bool TryAcquire() => TryAcquire(TimeSpan.Zero, CancellationToken.None);

    /// <summary>Takes the lock (or a slot) within <paramref name="timeout"/> (Python's <c>acquire(timeout=...)</c>).</summary>
    /// <returns><c>false</c> when the timeout passed first.</returns>
    /// <exception cref="AbandonedProcessLockException">A lock's previous owner died holding it; the caller owns it now and releases it through the exception's <see cref="AbandonedProcessLockException.Scope"/>.</exception>
    public bool TryAcquire(TimeSpan timeout) => TryAcquire(timeout, CancellationToken.None);

    /// <summary>Takes the lock (or a slot) within <paramref name="timeout"/>, giving up when <paramref name="cancellationToken"/> fires.</summary>
    /// <returns><c>false</c> when the timeout passed first.</returns>
    /// <exception cref="OperationCanceledException">The token fired first; nothing was taken.</exception>
    /// <exception cref="AbandonedProcessLockException">A lock's previous owner died holding it; the caller owns it now and releases it through the exception's <see cref="AbandonedProcessLockException.Scope"/>.</exception>
    /// <exception cref="ObjectDisposedException">Disposed in this process (also while waiting).</exception>
    public bool TryAcquire(TimeSpan timeout, CancellationToken cancellationToken)
    {
        return TryAcquireCore(Deadline.From(timeout, cancellationToken));
    }

    /// <summary>Takes the lock or a slot, holding a reference on the memory while it touches it (a lock keeps it while owned).</summary>
    private protected abstract bool TryAcquireCore(Deadline deadline);

    /// <summary>Releases what one acquire took (for <see cref="ProcessLockScope"/>).</summary>
    private protected abstract void ReleaseOne();

    void IReleasable.Release() => ReleaseOne();

    /// <summary>
    /// Unmaps it in this process (other processes keep it): later calls, and calls waiting now, throw
    /// <see cref="ObjectDisposedException"/>. Do not dispose a lock this process holds.
    /// </summary>
    public void Dispose()
    {
        _memory.Dispose();
        GC.SuppressFinalize(this);
    }
}
