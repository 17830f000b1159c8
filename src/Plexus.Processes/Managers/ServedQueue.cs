using static Plexus.Processes.OperationArgs;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A FIFO queue the manager serves (<see cref="ManagedQueue"/>). A get on an empty queue waits: it is
/// answered by the put that brings its item, in the order the gets came, or by its cancellation.
/// </summary>
internal sealed class ServedQueue(int id) : IServedObject
{
    private readonly Queue<object?> _items = new();
    private readonly LinkedList<DeferredCall> _waiters = new();

    public int Id { get; } = id;

    public string Kind => ManagerKinds.Queue;

    public object? Invoke(string operation, object?[] args, DeferredCall caller)
    {
        switch (operation)
        {
            case Ops.Put:
                object? item = At(args, 0, operation);
                while (_waiters.First is { } first)
                {
                    _waiters.RemoveFirst();
                    if (first.Value.IsAlive)
                    {
                        first.Value.Succeed(item);
                        return null;
                    }
                }
                _items.Enqueue(item);
                return null;
            case Ops.Get:
                if (_items.TryDequeue(out object? head))
                {
                    return head;
                }
                _waiters.AddLast(caller);
                return DeferredCall.Pending;
            case Ops.TryGet:
                return _items.TryDequeue(out object? next) ? new object?[] { true, next } : new object?[] { false, null };
            case Ops.Count:
                return _items.Count;
            default:
                throw NoOperation("queue", operation);
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
    }
}
