using static Plexus.Processes.OperationArgs;

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
        return _lock.TryInvoke(operation, caller, CallerThread(args, operation), out object? result) ? result : throw NoOperation(Kind, operation);
    }

    public bool Cancel(DeferredCall caller) => _lock.Cancel(caller);

    public void Abandon(ManagerSession session) => _lock.Abandon(session);
}
