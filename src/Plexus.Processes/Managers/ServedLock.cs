using static Plexus.Processes.OperationArgs;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A lock the manager serves (<see cref="ManagedLock"/>), held by a connection. An acquire while it is
/// held waits: it is answered, in the order the acquires came, when the lock passes to it, or by its
/// cancellation. A connection that ends holding the lock releases it.
/// </summary>
internal sealed class ServedLock(int id) : IServedObject
{
    private readonly DeferredCallQueue _waiters = new();

    /// <summary>The connection holding the lock, or null when it is free.</summary>
    private ManagerSession? _owner;

    public int Id { get; } = id;

    public string Kind => ManagerKinds.Lock;

    public object? Invoke(string operation, object?[] args, DeferredCall caller)
    {
        switch (operation)
        {
            case Ops.Acquire:
                if (_owner is null)
                {
                    _owner = caller.Session.Connection;
                    return null;
                }
                return _waiters.Wait(caller);
            case Ops.TryAcquire:
                if (_owner is null)
                {
                    _owner = caller.Session.Connection;
                    return true;
                }
                return false;
            case Ops.Release:
                if (_owner is null)
                {
                    throw new SynchronizationLockException("the managed lock is not held, so it cannot be released");
                }
                PassOn();
                return null;
            default:
                throw NoOperation("lock", operation);
        }
    }

    public bool Cancel(DeferredCall caller) => _waiters.Cancel(caller);

    public void Abandon(ManagerSession session)
    {
        _waiters.Abandon(session);
        if (_owner == session.Connection)
        {
            PlexusLog.ManagedLockAbandoned(PlexusLogging.For<ProcessManager>(), Kind, Id);
            PassOn();
        }
    }

    /// <summary>Frees the lock and gives it to the longest waiting acquire whose connection is alive.</summary>
    private void PassOn()
    {
        _owner = null;
        if (_waiters.TryTakeAlive(out DeferredCall next))
        {
            _owner = next.Session.Connection;
            next.Succeed(null);
        }
    }
}
