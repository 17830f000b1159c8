using static Plexus.Processes.OperationArgs;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A re-entrant lock the manager serves (<see cref="ManagedRLock"/>): held by one thread of one client,
/// which may take it again; every call carries the caller's thread id. A client that disconnects
/// holding it releases it, and the manager logs it as abandoned.
/// </summary>
internal sealed class ServedRLock(int id) : IServedObject
{
    private readonly ManagedLockOwnership _lock = new(ManagerKinds.RLock, id);

    public int Id { get; } = id;

    public string Kind => ManagerKinds.RLock;

    public object? Invoke(string operation, object?[] args, DeferredCall caller)
    {
        long thread = CallerThread(args, operation);
        switch (operation)
        {
            case Ops.Acquire:
                return _lock.Acquire(caller, thread);
            case Ops.TryAcquire:
                return _lock.TryAcquire(caller, thread);
            case Ops.Release:
                _lock.Release(caller, thread);
                return null;
            default:
                throw NoOperation(Kind, operation);
        }
    }

    public bool Cancel(DeferredCall caller) => _lock.Cancel(caller);

    public void Abandon(ManagerSession session) => _lock.Abandon(session);
}
