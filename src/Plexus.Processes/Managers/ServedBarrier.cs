using static Plexus.Processes.OperationArgs;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A barrier the manager serves (<see cref="ManagedBarrier"/>), as Python's <c>threading.Barrier</c>:
/// each wait answers its arrival index (0 to parties - 1) once all parties came. A waiter that gives up
/// (timeout, cancellation), an <see cref="Ops.Abort"/>, or a waiting client that disconnects breaks it:
/// the other waiters and later callers fail with <see cref="ProcessBarrierBrokenException"/> until a
/// <see cref="Ops.Reset"/>, so nobody waits for a party that will not come.
/// </summary>
internal sealed class ServedBarrier : IServedObject
{
    private readonly DeferredCallQueue _waiters = new();
    private readonly int _parties;
    private int _arrived;
    private bool _broken;

    public ServedBarrier(int id, object? parties)
    {
        Id = id;
        _parties = parties is null ? 0 : Index([parties], 0, ManagerOperations.Create);
        if (_parties < 1)
        {
            throw new ArgumentOutOfRangeException(null, $"a barrier needs one party or more, not {_parties}");
        }
    }

    public int Id { get; }

    public string Kind => ManagerKinds.Barrier;

    public object? Invoke(string operation, object?[] args, DeferredCall caller)
    {
        switch (operation)
        {
            case Ops.Wait:
                if (_broken)
                {
                    throw new ProcessBarrierBrokenException("the managed barrier is broken (a party gave up, left or aborted it); call Reset to use it again");
                }
                int index = _arrived++;
                if (_arrived < _parties)
                {
                    return _waiters.Wait(caller, index);
                }
                _arrived = 0;
                while (_waiters.TryTakeAlive(out DeferredCallQueue.Waiter waiter))
                {
                    waiter.Call.Succeed(waiter.State);
                }
                return index;
            case Ops.Abort:
                Break();
                return null;
            case Ops.Reset:
                Break();
                _broken = false;
                return null;
            case Ops.Parties:
                return _parties;
            case Ops.Count:
                return _arrived;
            case Ops.IsSet:
                return _broken;
            default:
                throw NoOperation(Kind, operation);
        }
    }

    /// <summary>A waiter gave up: it is answered with the cancellation, and the barrier breaks for the others (as Python's timeout does).</summary>
    public bool Cancel(DeferredCall caller)
    {
        if (!_waiters.Cancel(caller))
        {
            return false;
        }
        PlexusLog.ManagedBarrierBroken(PlexusLogging.For<ProcessManager>(), Kind, Id, "gave up waiting");
        Break();
        return true;
    }

    public void Abandon(ManagerSession session)
    {
        if (_waiters.Abandon(session) > 0)
        {
            PlexusLog.ManagedBarrierBroken(PlexusLogging.For<ProcessManager>(), Kind, Id, "disconnected");
            Break();
        }
    }

    private void Break()
    {
        _broken = true;
        _arrived = 0;
        _waiters.FailAll(new ProcessBarrierBrokenException("the managed barrier was broken while this party waited (a party gave up, left, or it was aborted or reset)"));
    }
}
