using MessagePack;
using Plexus.Processes.Serialization;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// An event served by a <see cref="ProcessManager"/> (Python's <c>Manager().Event()</c>): a flag that
/// <see cref="Wait()"/> blocks on until some process calls <see cref="Set"/>. A wait that times out or is
/// cancelled is withdrawn in the manager; a waiting process that dies is dropped, and the others are
/// woken by the next <see cref="Set"/> as usual.
/// </summary>
public sealed class ManagedEvent : ManagedProxy, IProcessShareable<ManagedEvent>
{
    internal ManagedEvent(ManagerClient client, int id) : base(client, id, ManagerKinds.Event) { }

    static ManagedEvent IProcessShareable<ManagedEvent>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, _) = ReadProxy(ref reader);
        return new ManagedEvent(client, id);
    }

    /// <summary>Whether the flag is set (Python's <c>is_set()</c>).</summary>
    public bool IsSet => As<bool>(Call(Ops.IsSet));

    /// <summary>Sets the flag and wakes every waiter (Python's <c>set()</c>).</summary>
    public void Set() => Call(Ops.Set);

    /// <summary>Clears the flag (Python's <c>clear()</c>).</summary>
    public void Clear() => Call(Ops.Clear);

    /// <summary>Waits as long as it takes for the flag (Python's <c>wait()</c>).</summary>
    public void Wait() => Call(Ops.Wait);

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the flag (Python's <c>wait(timeout)</c>); false when it
    /// stayed clear. The wait is withdrawn in the manager when it ends without the flag.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public bool Wait(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        TryCallWaiting(Ops.Wait, timeout, cancellationToken, out _);

    /// <summary>Waits for the flag until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <exception cref="OperationCanceledException">Cancelled first (the wait is withdrawn in the manager).</exception>
    public void Wait(CancellationToken cancellationToken) => Wait(Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Waits for the flag without blocking a thread; false when <paramref name="timeout"/> expired first.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        (await CallWaitingAsync(Ops.Wait, timeout, cancellationToken).ConfigureAwait(false)).Done;
}
