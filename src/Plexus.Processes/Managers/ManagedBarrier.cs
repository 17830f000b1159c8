using MessagePack;
using Plexus.Processes.Serialization;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A barrier served by a <see cref="ProcessManager"/> (Python's <c>Manager().Barrier(parties)</c>): each
/// <see cref="Wait()"/> returns once all parties called it. As in Python, a party that times out breaks the
/// barrier, and so do a cancellation, <see cref="Abort"/> and a waiting process that dies: the other
/// waiters and later callers get <see cref="ProcessBarrierBrokenException"/> until <see cref="Reset"/>,
/// so nobody waits for a party that will not come.
/// </summary>
public sealed class ManagedBarrier : ManagedProxy, IProcessShareable<ManagedBarrier>
{
    internal ManagedBarrier(ManagerClient client, int id) : base(client, id, ManagerKinds.Barrier) { }

    static ManagedBarrier IProcessShareable<ManagedBarrier>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, _) = ReadProxy(ref reader);
        return new ManagedBarrier(client, id);
    }

    /// <summary>How many parties the barrier waits for (Python's <c>parties</c>).</summary>
    public int Parties => As<int>(Call(Ops.Parties));

    /// <summary>How many parties wait now (Python's <c>n_waiting</c>).</summary>
    public int WaitingCount => As<int>(Call(Ops.Count));

    /// <summary>Whether the barrier is broken (Python's <c>broken</c>).</summary>
    public bool IsBroken => As<bool>(Call(Ops.IsSet));

    /// <summary>Waits for every party; returns this party's arrival index, 0 to <see cref="Parties"/> - 1 (Python's <c>wait()</c>).</summary>
    /// <exception cref="ProcessBarrierBrokenException">The barrier is or became broken.</exception>
    public int Wait() => As<int>(Call(Ops.Wait));

    /// <summary>Waits for every party, breaking the barrier for everyone when <paramref name="timeout"/> expires first (Python's <c>wait(timeout)</c>).</summary>
    /// <exception cref="ProcessBarrierBrokenException">The barrier is or became broken, this wait's timeout included.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first (that breaks the barrier too).</exception>
    public int Wait(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        TryCallWaiting(Ops.Wait, timeout, cancellationToken, out object? index) ? As<int>(index)
            : throw new ProcessBarrierBrokenException($"timed out after {timeout} waiting for the managed barrier's parties; it is now broken for every party (call Reset to use it again)");

    /// <summary>Breaks the barrier: waiters and later callers fail until <see cref="Reset"/> (Python's <c>abort()</c>).</summary>
    public void Abort() => Call(Ops.Abort);

    /// <summary>Returns the barrier to its initial state; current waiters fail (Python's <c>reset()</c>).</summary>
    public void Reset() => Call(Ops.Reset);
}
