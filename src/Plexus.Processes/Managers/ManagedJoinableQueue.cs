using MessagePack;
using Plexus.Processes.Serialization;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A FIFO queue served by a <see cref="ProcessManager"/> that counts unfinished items (Python's
/// <c>Manager().JoinableQueue()</c>): every <see cref="Put"/> adds one, every <see cref="TaskDone"/> takes
/// one away, and <see cref="Join()"/> waits until none is left. Gets and joins that time out or are
/// cancelled are withdrawn in the manager, so no item is lost to a caller that gave up.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Python's manager proxy name: JoinableQueue.")]
public sealed class ManagedJoinableQueue : ManagedProxy, IProcessShareable<ManagedJoinableQueue>
{
    internal ManagedJoinableQueue(ManagerClient client, int id) : base(client, id, ManagerKinds.JoinableQueue) { }

    static ManagedJoinableQueue IProcessShareable<ManagedJoinableQueue>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, _) = ReadProxy(ref reader);
        return new ManagedJoinableQueue(client, id);
    }

    /// <summary>The number of items waiting to be taken (Python's <c>qsize()</c>).</summary>
    public int Count => As<int>(Call(Ops.Count));

    /// <summary>Adds an item at the tail and counts it unfinished (Python's <c>put(x)</c>); never waits: the queue is unbounded.</summary>
    public void Put(object? item) => Call(Ops.Put, item);

    /// <summary>Removes the head item, waiting as long as it takes for one (Python's <c>get()</c>).</summary>
    public object? Get() => Call(Ops.Get);

    /// <summary>Removes the head item, waiting until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <exception cref="OperationCanceledException">Cancelled before an item came (the manager keeps it for the next get).</exception>
    public object? Get(CancellationToken cancellationToken)
    {
        TryGet(out object? item, Timeout.InfiniteTimeSpan, cancellationToken);
        return item;
    }

    /// <summary>Removes the head item, waiting up to <paramref name="timeout"/> (Python's <c>get(timeout=t)</c>); false when none came.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public bool TryGet(out object? item, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        TryCallWaiting(Ops.Get, timeout, cancellationToken, out item);

    /// <summary>Marks one item taken from the queue as finished (Python's <c>task_done()</c>).</summary>
    /// <exception cref="InvalidOperationException">Called more times than items were put.</exception>
    public void TaskDone() => Call(Ops.TaskDone);

    /// <summary>Waits until every item put was marked finished (Python's <c>join()</c>).</summary>
    public void Join() => Call(Ops.Join);

    /// <summary>Waits up to <paramref name="timeout"/> until every item put was marked finished; false when some were not.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first (the join is withdrawn).</exception>
    public bool Join(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        TryCallWaiting(Ops.Join, timeout, cancellationToken, out _);

    /// <summary>Waits until every item was marked finished without blocking a thread; false when <paramref name="timeout"/> expired first.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public async Task<bool> JoinAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        (await CallWaitingAsync(Ops.Join, timeout, cancellationToken).ConfigureAwait(false)).Done;
}
