namespace Plexus.Processes;

/// <summary>
/// One object a manager serves (one of the <see cref="ManagerKinds"/>, or a registered
/// type's instance). The manager calls it only under its one lock, so implementations need no locking
/// of their own. Inside containers the served object itself is stored, so a proxy stored in a
/// dictionary stays that one shared object.
/// </summary>
internal interface IServedObject
{
    /// <summary>The id proxies address it by (never 0: that is the manager itself).</summary>
    int Id { get; }

    /// <summary>Its kind as the proxies know it (<see cref="ManagerKinds"/> or a registered type's name).</summary>
    string Kind { get; }

    /// <summary>
    /// Runs <paramref name="operation"/> (one of <see cref="ManagerOperations"/>) and returns its result, or
    /// <see cref="DeferredCall.Pending"/> when the call waits and <paramref name="caller"/> is answered later.
    /// </summary>
    object? Invoke(string operation, object?[] args, DeferredCall caller);

    /// <summary>Gives up <paramref name="caller"/>'s waiting call, answering it with a cancellation; false when it is not waiting here.</summary>
    bool Cancel(DeferredCall caller) => false;

    /// <summary>The connection <paramref name="session"/> ended: drop its waiting calls and release what it holds.</summary>
    void Abandon(ManagerSession session)
    {
    }
}
