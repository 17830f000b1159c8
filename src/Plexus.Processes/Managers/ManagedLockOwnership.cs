using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// The re-entrant ownership behind a managed RLock and a managed condition's lock: held by one thread
/// of one client connection (the proxy sends its managed thread id), taken again by that thread as
/// often as it likes, passed on in the order the acquires came. Used only under the manager's lock.
/// </summary>
/// <remarks>
/// A waiting acquire carries the depth it takes and the answer it gets: a plain acquire takes depth 1
/// and can be cancelled; a condition's waiter that was notified (or gave up) comes back for its whole
/// depth and cannot be cancelled, since its wait must return holding the lock.
/// </remarks>
internal sealed class ManagedLockOwnership(string kind, int id)
{
    private readonly DeferredCallQueue _waiters = new();
    private ManagerSession? _connection;
    private long _thread;
    private int _depth;

    /// <summary>True when <paramref name="caller"/>'s thread <paramref name="thread"/> holds the lock.</summary>
    public bool IsHeldBy(DeferredCall caller, long thread) => _connection == caller.Session.Connection && _thread == thread && _depth > 0;

    /// <summary>
    /// Runs <paramref name="operation"/> when it is one of the lock's own (acquire, try-acquire, release),
    /// as an RLock and a condition serve them alike; false for any other operation.
    /// </summary>
    public bool TryInvoke(string operation, DeferredCall caller, long thread, out object? result)
    {
        switch (operation)
        {
            case Ops.Acquire:
                result = Acquire(caller, thread);
                return true;
            case Ops.TryAcquire:
                result = TryAcquire(caller, thread);
                return true;
            case Ops.Release:
                Release(caller, thread);
                result = null;
                return true;
            default:
                result = null;
                return false;
        }
    }

    /// <summary>Takes the lock (again) or queues the call; true, or <see cref="DeferredCall.Pending"/>.</summary>
    public object Acquire(DeferredCall caller, long thread)
    {
        if (TryAcquire(caller, thread))
        {
            return true;
        }
        return _waiters.Wait(caller, new Claim(thread, 1, true, Cancellable: true));
    }

    /// <summary>Takes the lock (again) if this thread can now; false when another holds it.</summary>
    public bool TryAcquire(DeferredCall caller, long thread)
    {
        if (_depth == 0)
        {
            Take(caller.Session.Connection, thread, 1);
            return true;
        }
        if (IsHeldBy(caller, thread))
        {
            _depth++;
            return true;
        }
        return false;
    }

    /// <summary>One release by the holding thread; the lock passes on when its depth reaches zero.</summary>
    public void Release(DeferredCall caller, long thread)
    {
        RequireHeld(caller, thread, Ops.Release);
        if (--_depth == 0)
        {
            PassOn();
        }
    }

    /// <summary>Releases every level the holding thread has (a condition's wait); answers the depth to restore.</summary>
    public int ReleaseAll(DeferredCall caller, long thread)
    {
        RequireHeld(caller, thread, "wait");
        int depth = _depth;
        _depth = 0;
        PassOn();
        return depth;
    }

    /// <summary>
    /// Gives the lock back to a condition's waiter at <paramref name="depth"/> and then answers it with
    /// <paramref name="answer"/>, now if the lock is free, else when it passes to it (not cancellable).
    /// </summary>
    public void Restore(DeferredCall caller, long thread, int depth, object? answer)
    {
        if (_depth == 0)
        {
            Take(caller.Session.Connection, thread, depth);
            caller.Succeed(answer);
            return;
        }
        _waiters.Wait(caller, new Claim(thread, depth, answer, Cancellable: false));
    }

    /// <summary>Gives up a plain acquire; false when the call is not a cancellable waiter here.</summary>
    public bool Cancel(DeferredCall caller)
    {
        // A condition's waiter keeps its place in line: its wait must return holding the lock.
        if (!_waiters.TryFind(caller, out DeferredCallQueue.Waiter waiter) || waiter.State is Claim { Cancellable: false })
        {
            return false;
        }
        _waiters.TryRemove(caller, out _);
        caller.Cancelled();
        return true;
    }

    /// <summary>
    /// A connection ended: its waiting acquires are dropped and, when one of its threads held the
    /// lock, the lock is released for the next waiter (and that is logged as abandoned).
    /// </summary>
    public void Abandon(ManagerSession session)
    {
        _waiters.Abandon(session);
        if (_depth > 0 && _connection == session.Connection)
        {
            PlexusLog.ManagedLockAbandoned(PlexusLogging.For<ProcessManager>(), kind, id);
            _depth = 0;
            PassOn();
        }
    }

    private void RequireHeld(DeferredCall caller, long thread, string operation)
    {
        if (!IsHeldBy(caller, thread))
        {
            throw new SynchronizationLockException($"the managed {kind} is not held by this thread, so it cannot {operation}");
        }
    }

    private void Take(ManagerSession connection, long thread, int depth)
    {
        _connection = connection;
        _thread = thread;
        _depth = depth;
    }

    /// <summary>Gives the free lock to the longest waiting live call.</summary>
    private void PassOn()
    {
        _connection = null;
        if (_waiters.TryTakeAlive(out DeferredCallQueue.Waiter next))
        {
            Claim claim = (Claim)next.State!;
            Take(next.Call.Session.Connection, claim.Thread, claim.Depth);
            next.Call.Succeed(claim.Answer);
        }
    }

    /// <summary>What a waiting acquire takes and answers.</summary>
    private sealed record Claim(long Thread, int Depth, object? Answer, bool Cancellable);
}
