using System.Runtime.InteropServices;
using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// A barrier for a fixed number of parties across processes, Python's <c>multiprocessing.Barrier</c>:
/// each party calls <see cref="SignalAndWait(TimeSpan)"/>, and all are released together when the
/// last one arrives. A timeout or <see cref="Abort"/> breaks the barrier: every waiter, and every
/// later caller until <see cref="Reset"/>, gets a <see cref="ProcessBarrierBrokenException"/>.
/// </summary>
public sealed unsafe class ProcessBarrier : IProcessShareable<ProcessBarrier>, IDisposable
{
    [StructLayout(LayoutKind.Sequential)]
    private struct State
    {
        public LockState Lock;
        public int Parties;
        public int Arrived;
        public int Generation;  // futex word: bumped when the barrier trips, breaks or resets
        public int Broken;
        public int CutGeneration;  // generation + 1 of the last generation ended by Abort or Reset
    }

    private readonly SharedMemory _memory;

    /// <summary>Creates a barrier for <paramref name="parties"/> participants.</summary>
    public ProcessBarrier(int parties)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parties);
        _memory = SharedMemory.Create("barrier", sizeof(State));
        ((State*)_memory.Pointer)->Parties = parties;
    }

    private ProcessBarrier(SharedMemory memory) => _memory = memory;

    /// <summary>How many parties must arrive to trip the barrier.</summary>
    public int Parties => Read(&PartiesOf);

    /// <summary>How many parties wait now (Python's <c>n_waiting</c>).</summary>
    public int Waiting => Read(&WaitingOf);

    /// <summary>Whether the barrier is broken (Python's <c>broken</c>).</summary>
    public bool IsBroken => Read(&BrokenOf) != 0;

    /// <summary>Waits for all parties, without limit.</summary>
    /// <returns>This party's arrival index, 0 to <see cref="Parties"/> - 1 (Python's <c>wait()</c> result).</returns>
    public int SignalAndWait() => SignalAndWait(Timeout.InfiniteTimeSpan, CancellationToken.None);

    /// <summary>Waits for all parties; the token firing breaks the barrier for everyone, as a timeout does.</summary>
    /// <returns>This party's arrival index, 0 to <see cref="Parties"/> - 1.</returns>
    /// <exception cref="OperationCanceledException">The token fired first (the barrier is now broken).</exception>
    public int SignalAndWait(CancellationToken cancellationToken) => SignalAndWait(Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Waits for all parties; a timeout breaks the barrier for everyone.</summary>
    /// <returns>This party's arrival index, 0 to <see cref="Parties"/> - 1.</returns>
    /// <exception cref="ProcessBarrierBrokenException">The barrier is or became broken (timeout, abort, reset, or a party died).</exception>
    public int SignalAndWait(TimeSpan timeout) => SignalAndWait(timeout, CancellationToken.None);

    /// <summary>
    /// Waits for all parties; a timeout or the token firing breaks the barrier for everyone (a party
    /// that leaves early would otherwise leave the others waiting for it forever).
    /// </summary>
    /// <returns>This party's arrival index, 0 to <see cref="Parties"/> - 1.</returns>
    /// <exception cref="ProcessBarrierBrokenException">The barrier is or became broken (timeout, abort, reset, or a party died).</exception>
    /// <exception cref="OperationCanceledException">The token fired first (the barrier is now broken).</exception>
    /// <exception cref="ObjectDisposedException">Disposed in this process (also while waiting).</exception>
    public int SignalAndWait(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Deadline deadline = Deadline.From(timeout, cancellationToken);
        State* s = (State*)_memory.Enter();
        try
        {
            return SignalAndWait(s, deadline);
        }
        finally
        {
            _memory.Exit();
        }
    }

    private int SignalAndWait(State* s, Deadline deadline)
    {
        Lock(s);
        if (s->Broken != 0)
        {
            LockWord.Exit(&s->Lock);
            throw Broken(s);
        }
        int generation = s->Generation;
        int index = s->Arrived++;
        if (index + 1 == s->Parties)
        {
            s->Arrived = 0;
            Interlocked.Increment(ref s->Generation);
            LockWord.Exit(&s->Lock);
            Futex.WakeAll(&s->Generation);
            return index;
        }
        LockWord.Exit(&s->Lock);
        while (Volatile.Read(ref s->Generation) == generation)
        {
            if (deadline.RemainingMs == 0)
            {
                BreakBarrier(s);
                throw new ProcessBarrierBrokenException($"timed out waiting for {s->Parties} parties at the ProcessBarrier; it is now broken for every party (call Reset to reuse it)");
            }
            try
            {
                Futex.Wait(&s->Generation, generation, deadline, _memory);
            }
            catch (OperationCanceledException)
            {
                BreakBarrier(s);
                throw;
            }
        }
        return Volatile.Read(ref s->CutGeneration) == generation + 1 ? throw Broken(s) : index;
    }

    /// <summary>Breaks the barrier: current and later waiters get <see cref="ProcessBarrierBrokenException"/> (Python's <c>abort()</c>).</summary>
    public void Abort()
    {
        State* s = (State*)_memory.Enter();
        try
        {
            BreakBarrier(s);
        }
        finally
        {
            _memory.Exit();
        }
    }

    private void BreakBarrier(State* s)
    {
        Lock(s);
        s->Broken = 1;
        s->Arrived = 0;
        s->CutGeneration = s->Generation + 1;
        Interlocked.Increment(ref s->Generation);
        LockWord.Exit(&s->Lock);
        Futex.WakeAll(&s->Generation);
    }

    /// <summary>Returns the barrier to its initial state; current waiters get <see cref="ProcessBarrierBrokenException"/> (Python's <c>reset()</c>).</summary>
    public void Reset()
    {
        State* s = (State*)_memory.Enter();
        try
        {
            Lock(s);
            if (s->Arrived > 0)
            {
                s->CutGeneration = s->Generation + 1;
                Interlocked.Increment(ref s->Generation);
                Futex.WakeAll(&s->Generation);
            }
            s->Arrived = 0;
            s->Broken = 0;
            LockWord.Exit(&s->Lock);
        }
        finally
        {
            _memory.Exit();
        }
    }

    private void Lock(State* s)
    {
        // A party that died inside this short critical section left no half-made change that matters.
        LockWord.Enter(&s->Lock, Deadline.Infinite, _memory, out _);
    }

    private TResult Read<TResult>(delegate*<State*, TResult> read)
    {
        State* s = (State*)_memory.Enter();
        try
        {
            return read(s);
        }
        finally
        {
            _memory.Exit();
        }
    }

    private static int PartiesOf(State* s) => s->Parties;

    private static int WaitingOf(State* s) => Volatile.Read(ref s->Arrived);

    private static int BrokenOf(State* s) => Volatile.Read(ref s->Broken);

    private static ProcessBarrierBrokenException Broken(State* s) => new($"the ProcessBarrier for {s->Parties} parties is broken (a party timed out or called Abort/Reset); call Reset to reuse it");

    /// <summary>Unmaps the barrier in this process (other processes keep it); waiters in this process get <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => _memory.Dispose();

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles) => _memory.WriteShared(ref writer, handles);

    static ProcessBarrier IProcessShareable<ProcessBarrier>.ReadShared(ref MessagePackReader reader, HandleTable handles)
        => new(SharedMemory.ReadShared(ref reader, handles));
}
