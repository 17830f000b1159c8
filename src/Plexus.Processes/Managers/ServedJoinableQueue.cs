using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A joinable queue the manager serves (<see cref="ManagedJoinableQueue"/>, Python's
/// <c>Manager().JoinableQueue()</c>): a <see cref="ServedQueue"/> that counts the items put and not yet
/// marked done; a join waits until that count is zero. An item a disconnected client took and never
/// marked done keeps the count up, as in Python.
/// </summary>
internal sealed class ServedJoinableQueue(int id) : IServedObject
{
    private readonly ServedQueue _queue = new(id);
    private readonly DeferredCallQueue _joiners = new();
    private int _unfinished;

    public int Id { get; } = id;

    public string Kind => ManagerKinds.JoinableQueue;

    public object? Invoke(string operation, object?[] args, DeferredCall caller)
    {
        switch (operation)
        {
            case Ops.Put:
                object? done = _queue.Invoke(operation, args, caller);
                _unfinished++;
                return done;
            case Ops.TaskDone:
                if (_unfinished == 0)
                {
                    throw new InvalidOperationException("TaskDone was called more times than items were put in the managed joinable queue");
                }
                if (--_unfinished == 0)
                {
                    _joiners.SucceedAll(null);
                }
                return null;
            case Ops.Join:
                return _unfinished == 0 ? null : _joiners.Wait(caller);
            default:
                return _queue.Invoke(operation, args, caller);
        }
    }

    public bool Cancel(DeferredCall caller) => _queue.Cancel(caller) || _joiners.Cancel(caller);

    public void Abandon(ManagerSession session)
    {
        _queue.Abandon(session);
        _joiners.Abandon(session);
    }
}
