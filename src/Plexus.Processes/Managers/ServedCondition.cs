using static Plexus.Processes.OperationArgs;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A condition variable the manager serves (<see cref="ManagedCondition"/>), with a re-entrant lock of
/// its own (Python's <c>Manager().Condition()</c> over an RLock). A wait releases the lock, waits in
/// line to be notified, then waits to get the lock back and answers true (notified) or false (its
/// caller gave up: a timeout or a cancellation), always holding the lock again. A waiter whose client
/// disconnected is skipped, so a notify always reaches a live waiter when there is one.
/// </summary>
internal sealed class ServedCondition(int id) : IServedObject
{
    private readonly ManagedLockOwnership _lock = new(ManagerKinds.Condition, id);

    /// <summary>Waiters to notify, in the order they came; their state is the <see cref="Sleeper"/> to restore.</summary>
    private readonly DeferredCallQueue _sleepers = new();

    public int Id { get; } = id;

    public string Kind => ManagerKinds.Condition;

    public object? Invoke(string operation, object?[] args, DeferredCall caller)
    {
        long thread = CallerThread(args, operation);
        if (_lock.TryInvoke(operation, caller, thread, out object? result))
        {
            return result;
        }
        switch (operation)
        {
            case Ops.Wait:
                int depth = _lock.ReleaseAll(caller, thread);
                return _sleepers.Wait(caller, new Sleeper(thread, depth));
            case Ops.Notify:
                RequireHeld(caller, thread, operation);
                Wake(Index(args, 1, operation));
                return null;
            case Ops.NotifyAll:
                RequireHeld(caller, thread, operation);
                Wake(int.MaxValue);
                return null;
            default:
                throw NoOperation(Kind, operation);
        }
    }

    /// <summary>A sleeper that gives up is not answered now: it gets the lock back first, then answers false.</summary>
    public bool Cancel(DeferredCall caller)
    {
        if (!_sleepers.TryRemove(caller, out DeferredCallQueue.Waiter waiter))
        {
            return _lock.Cancel(caller);
        }
        Sleeper sleeper = (Sleeper)waiter.State!;
        _lock.Restore(caller, sleeper.Thread, sleeper.Depth, false);
        return true;
    }

    public void Abandon(ManagerSession session)
    {
        _sleepers.Abandon(session);
        _lock.Abandon(session);
    }

    /// <summary>Moves up to <paramref name="count"/> live sleepers to the lock's line, answering true once each holds it.</summary>
    private void Wake(int count)
    {
        for (int i = 0; i < count && _sleepers.TryTakeAlive(out DeferredCallQueue.Waiter waiter); i++)
        {
            Sleeper sleeper = (Sleeper)waiter.State!;
            _lock.Restore(waiter.Call, sleeper.Thread, sleeper.Depth, true);
        }
    }

    private void RequireHeld(DeferredCall caller, long thread, string operation)
    {
        if (!_lock.IsHeldBy(caller, thread))
        {
            throw new SynchronizationLockException($"the managed condition's lock is not held by this thread, so it cannot {operation}; acquire it first");
        }
    }

    /// <summary>What a sleeper gets back with the lock.</summary>
    private sealed record Sleeper(long Thread, int Depth);
}
