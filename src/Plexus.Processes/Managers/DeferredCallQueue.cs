namespace Plexus.Processes;

/// <summary>
/// The calls waiting on one served object (a get on an empty queue, an acquire of a held lock), in
/// the order they came, each with what its object needs to answer it later (<see cref="DeferredCallQueue.Waiter.State"/>).
/// Invariant: a call is in at most one queue, and leaves it when it is answered, cancelled, or its session ends.
/// </summary>
internal sealed class DeferredCallQueue
{
    private readonly LinkedList<Waiter> _calls = new();

    /// <summary>How many calls wait (dead sessions' calls included until they are met).</summary>
    public int Count => _calls.Count;

    /// <summary>How many calls wait whose connection is still alive.</summary>
    public int CountAlive()
    {
        int alive = 0;
        foreach (Waiter waiter in _calls)
        {
            alive += waiter.Call.IsAlive ? 1 : 0;
        }
        return alive;
    }

    /// <summary>Queues <paramref name="caller"/> and returns the marker that tells the session to wait.</summary>
    public object Wait(DeferredCall caller, object? state = null)
    {
        _calls.AddLast(new Waiter(caller, state));
        return DeferredCall.Pending;
    }

    /// <summary>Takes the longest-waiting call whose connection is still alive, dropping dead ones on the way.</summary>
    public bool TryTakeAlive(out DeferredCall call)
    {
        bool taken = TryTakeAlive(out Waiter waiter);
        call = waiter.Call;
        return taken;
    }

    /// <summary>As <see cref="TryTakeAlive(out DeferredCall)"/>, with the state the call was queued with.</summary>
    public bool TryTakeAlive(out Waiter waiter)
    {
        while (_calls.First is { } first)
        {
            _calls.RemoveFirst();
            if (first.Value.Call.IsAlive)
            {
                waiter = first.Value;
                return true;
            }
        }
        waiter = default;
        return false;
    }

    /// <summary>Answers every waiting call of a live connection with <paramref name="value"/> and empties the queue.</summary>
    public void SucceedAll(object? value)
    {
        while (TryTakeAlive(out DeferredCall call))
        {
            call.Succeed(value);
        }
    }

    /// <summary>Fails every waiting call of a live connection with <paramref name="error"/> and empties the queue.</summary>
    public void FailAll(Exception error)
    {
        while (TryTakeAlive(out DeferredCall call))
        {
            call.Fail(error);
        }
    }

    /// <summary>Removes a call given up by its caller and tells it so; false when it was answered already.</summary>
    public bool Cancel(DeferredCall caller)
    {
        if (!TryRemove(caller, out _))
        {
            return false;
        }
        caller.Cancelled();
        return true;
    }

    /// <summary>Finds <paramref name="caller"/>'s waiting call; false when it is not here.</summary>
    public bool TryFind(DeferredCall caller, out Waiter found)
    {
        foreach (Waiter waiter in _calls)
        {
            if (waiter.Call == caller)
            {
                found = waiter;
                return true;
            }
        }
        found = default;
        return false;
    }

    /// <summary>Removes <paramref name="caller"/>'s waiting call without answering it; false when it is not here.</summary>
    public bool TryRemove(DeferredCall caller, out Waiter removed)
    {
        for (LinkedListNode<Waiter>? node = _calls.First; node is not null; node = node.Next)
        {
            if (node.Value.Call == caller)
            {
                removed = node.Value;
                _calls.Remove(node);
                return true;
            }
        }
        removed = default;
        return false;
    }

    /// <summary>Forgets every call of a session that ended; answers how many there were.</summary>
    public int Abandon(ManagerSession session)
    {
        int dropped = 0;
        for (LinkedListNode<Waiter>? node = _calls.First; node is not null;)
        {
            LinkedListNode<Waiter>? next = node.Next;
            if (node.Value.Call.Session == session)
            {
                _calls.Remove(node);
                dropped++;
            }
            node = next;
        }
        return dropped;
    }

    /// <summary>A waiting call and what its object keeps with it.</summary>
    public readonly record struct Waiter(DeferredCall Call, object? State);
}
