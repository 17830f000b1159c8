using static Plexus.Processes.OperationArgs;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// An event the manager serves (<see cref="ManagedEvent"/>): a flag that a wait blocks on until it is
/// set. Setting it answers every live waiter at once; a waiter whose client disconnected is dropped.
/// </summary>
internal sealed class ServedEvent(int id) : IServedObject
{
    private readonly DeferredCallQueue _waiters = new();
    private bool _set;

    public int Id { get; } = id;

    public string Kind => ManagerKinds.Event;

    public object? Invoke(string operation, object?[] args, DeferredCall caller)
    {
        switch (operation)
        {
            case Ops.Set:
                _set = true;
                _waiters.SucceedAll(true);
                return null;
            case Ops.Clear:
                _set = false;
                return null;
            case Ops.IsSet:
                return _set;
            case Ops.Wait:
                return _set ? true : _waiters.Wait(caller);
            default:
                throw NoOperation(Kind, operation);
        }
    }

    public bool Cancel(DeferredCall caller) => _waiters.Cancel(caller);

    public void Abandon(ManagerSession session) => _waiters.Abandon(session);
}
