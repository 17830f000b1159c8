using MessagePack;
using Plexus.Processes.Serialization;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A FIFO queue served by a <see cref="ProcessManager"/> (Python's <c>Manager().Queue()</c>).
/// <see cref="Get()"/> waits for an item; <see cref="TryGet(out object?)"/> does not; the overloads that
/// take a timeout or a <see cref="CancellationToken"/> wait until then.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Python's manager proxy names: dict and Queue.")]
public sealed class ManagedQueue : ManagedProxy, IProcessShareable<ManagedQueue>
{
    internal ManagedQueue(ManagerClient client, int id) : base(client, id, ManagerKinds.Queue) { }

    static ManagedQueue IProcessShareable<ManagedQueue>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, _) = ReadProxy(ref reader);
        return new ManagedQueue(client, id);
    }

    /// <summary>Adds an item at the tail (Python's <c>q.put(x)</c>). The queue is unbounded, so this never waits for room.</summary>
    public void Put(object? item) => Call(Ops.Put, item);

    /// <summary>Removes the head item, waiting as long as it takes for one (Python's <c>q.get()</c>).</summary>
    public object? Get() => Call(Ops.Get);

    /// <summary>Removes the head item, waiting for one until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <exception cref="OperationCanceledException">Cancelled before an item came (no item is lost: the manager keeps it).</exception>
    public object? Get(CancellationToken cancellationToken)
    {
        TryCallWaiting(Ops.Get, Timeout.InfiniteTimeSpan, cancellationToken, out object? item);
        return item;
    }

    /// <summary>Removes the head item, waiting for one without blocking a thread (Python's <c>q.get()</c> in asyncio style).</summary>
    /// <exception cref="OperationCanceledException">Cancelled before an item came (no item is lost: the manager keeps it).</exception>
    public async Task<object?> GetAsync(CancellationToken cancellationToken = default) =>
        (await CallWaitingAsync(Ops.Get, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false)).Result;

    /// <summary>Removes the head item if there is one (Python's <c>q.get_nowait()</c>, without the exception).</summary>
    public bool TryGet(out object? item)
    {
        object?[] r = (object?[])Call(Ops.TryGet)!;
        item = r[1];
        return r[0] is true;
    }

    /// <summary>
    /// Removes the head item, waiting up to <paramref name="timeout"/> for one (Python's <c>q.get(timeout=t)</c>);
    /// false when none came in time.
    /// </summary>
    /// <param name="item">The item, or null when none came.</param>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> waits as long as it takes.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    public bool TryGet(out object? item, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        TryCallWaiting(Ops.Get, timeout, cancellationToken, out item);

    /// <summary>The number of items waiting (Python's <c>q.qsize()</c>).</summary>
    public int Count => As<int>(Call(Ops.Count));
}
