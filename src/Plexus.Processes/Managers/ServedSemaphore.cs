using static Plexus.Processes.OperationArgs;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A counting semaphore the manager serves (<see cref="ManagedSemaphore"/>), bounded or not. A release
/// hands its permit to the longest waiting live acquire, or adds it to the count; a bounded one refuses
/// a release that would take the count over its initial value. Permits have no owner (as in Python):
/// a client that disconnects loses its waiting acquires, but permits it took stay taken.
/// </summary>
internal sealed class ServedSemaphore : IServedObject
{
    private readonly DeferredCallQueue _waiters = new();
    private readonly int _bound;
    private int _count;

    public ServedSemaphore(int id, object? initial, bool bounded)
    {
        Id = id;
        _count = initial is null ? 1 : Index([initial], 0, ManagerOperations.Create);
        if (_count < 0)
        {
            throw new ArgumentOutOfRangeException(null, $"a semaphore's initial value must be zero or more, not {_count}");
        }
        _bound = bounded ? _count : int.MaxValue;
        Kind = bounded ? ManagerKinds.BoundedSemaphore : ManagerKinds.Semaphore;
    }

    public int Id { get; }

    public string Kind { get; }

    public object? Invoke(string operation, object?[] args, DeferredCall caller)
    {
        switch (operation)
        {
            case Ops.Acquire:
                if (_count > 0)
                {
                    _count--;
                    return true;
                }
                return _waiters.Wait(caller);
            case Ops.TryAcquire:
                if (_count > 0)
                {
                    _count--;
                    return true;
                }
                return false;
            case Ops.Release:
                Release(args.Length > 0 ? Index(args, 0, operation) : 1);
                return null;
            case Ops.Count:
                return _count;
            default:
                throw NoOperation(Kind, operation);
        }
    }

    public bool Cancel(DeferredCall caller) => _waiters.Cancel(caller);

    public void Abandon(ManagerSession session) => _waiters.Abandon(session);

    private void Release(int permits)
    {
        if (permits < 1)
        {
            throw new ArgumentOutOfRangeException(null, $"a semaphore is released by one permit or more, not {permits}");
        }
        // Checked before anything changes: permits that go to waiters at once never count toward the bound.
        int handed = Math.Min(permits, _waiters.CountAlive());
        if ((long)_count + permits - handed > _bound)
        {
            throw new SemaphoreFullException($"the managed bounded semaphore was released more times than it was acquired (its initial value is {_bound})");
        }
        for (int i = 0; i < handed && _waiters.TryTakeAlive(out DeferredCall next); i++)
        {
            next.Succeed(true);
        }
        _count += permits - handed;
    }
}
