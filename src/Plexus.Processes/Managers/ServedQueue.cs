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
    private readonly DeferredCallQueue _waiters = new();

    public int Id { get; } = id;

    public string Kind => ManagerKinds.Queue;

    public object? Invoke(string operation, object?[] args, DeferredCall caller)
    {
        switch (operation)
        {
            case Ops.Put:
                object? item = At(args, 0, operation);
                if (_waiters.TryTakeAlive(out DeferredCall getter))
                {
                    getter.Succeed(item);
                    return null;
                }
                _items.Enqueue(item);
                return null;
            case Ops.Get:
                if (_items.TryDequeue(out object? head))
                {
                    return head;
                }
                return _waiters.Wait(caller);
            case Ops.TryGet:
                return _items.TryDequeue(out object? next) ? new object?[] { true, next } : new object?[] { false, null };
            case Ops.Count:
                return _items.Count;
            default:
                throw NoOperation("queue", operation);
        }
    }

    public bool Cancel(DeferredCall caller) => _waiters.Cancel(caller);

    public void Abandon(ManagerSession session)
    {
        _waiters.Abandon(session);
    }
}
