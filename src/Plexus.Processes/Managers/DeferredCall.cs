namespace Plexus.Processes;

/// <summary>A call a served object answers later (a queue's get, a lock's acquire): its connection and call id.</summary>
internal readonly record struct DeferredCall(ManagerSession Session, int CallId)
{
    /// <summary>What <see cref="IServedObject.Invoke"/> returns for a call it answers later.</summary>
    public static readonly object Pending = new();

    /// <summary>False once the connection is gone (an answer would go nowhere, and a lock given to it would never be released).</summary>
    public bool IsAlive => !Session.Dead;

    /// <summary>Answers the call now (from whichever connection's thread made the answer possible).</summary>
    public void Succeed(object? value)
    {
        Session.Reply(CallId, true, value);
        Session.Flush();
    }

    /// <summary>Answers the call with <paramref name="error"/>.</summary>
    public void Fail(Exception error)
    {
        Session.Reply(CallId, false, RemoteError.Describe(error));
        Session.Flush();
    }

    /// <summary>Answers a waiting call that its caller gave up.</summary>
    public void Cancelled() => Fail(new OperationCanceledException("the waiting call was cancelled by its caller"));
}
