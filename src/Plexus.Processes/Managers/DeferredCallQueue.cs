namespace Plexus.Processes;

/// <summary>
/// The calls waiting on one served object (a get on an empty queue, an acquire of a held lock), in
/// the order they came. Invariant: a call is in at most one queue, and leaves it when it is answered,
/// cancelled, or its session ends.
/// </summary>
internal sealed class DeferredCallQueue
{
    private readonly LinkedList<DeferredCall> _calls = new();

    /// <summary>Queues <paramref name="caller"/> and returns the marker that tells the session to wait.</summary>
    public object Wait(DeferredCall caller)
    {
        _calls.AddLast(caller);
        return DeferredCall.Pending;
    }

    /// <summary>Takes the longest-waiting call whose connection is still alive, dropping dead ones on the way.</summary>
    public bool TryTakeAlive(out DeferredCall call)
    {
        while (_calls.First is { } first)
        {
            _calls.RemoveFirst();
            if (first.Value.IsAlive)
            {
                call = first.Value;
                return true;
            }
        }
        call = default;
        return false;
    }

    /// <summary>Removes a call given up by its caller and tells it so; false when it was answered already.</summary>
    public bool Cancel(DeferredCall caller)
    {
        if (!_calls.Remove(caller))
        {
            return false;
        }
        caller.Cancelled();
        return true;
    }

    /// <summary>Forgets every call of a session that ended.</summary>
    public void Abandon(ManagerSession session)
    {
        for (LinkedListNode<DeferredCall>? node = _calls.First; node is not null;)
        {
            LinkedListNode<DeferredCall>? next = node.Next;
            if (node.Value.Session == session)
            {
                _calls.Remove(node);
            }
            node = next;
        }
    }
}
