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
    private readonly LinkedList<DeferredCall> _waiters = new();

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
                _waiters.AddLast(caller);
                return DeferredCall.Pending;
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

    public bool Cancel(DeferredCall caller)
    {
        if (!_waiters.Remove(caller))
        {
            return false;
        }
        caller.Cancelled();
        return true;
    }

    public void Abandon(ManagerSession session)
    {
        for (LinkedListNode<DeferredCall>? node = _waiters.First; node is not null;)
        {
            LinkedListNode<DeferredCall>? next = node.Next;
            if (node.Value.Session == session)
            {
                _waiters.Remove(node);
            }
            node = next;
        }
        if (_owner == session.Connection)
        {
            PassOn();
        }
    }

    /// <summary>Frees the lock and gives it to the longest waiting acquire whose connection is alive.</summary>
    private void PassOn()
    {
        _owner = null;
        while (_waiters.First is { } first)
        {
            _waiters.RemoveFirst();
            if (first.Value.IsAlive)
            {
                _owner = first.Value.Session.Connection;
                first.Value.Succeed(null);
                return;
            }
        }
    }
}
