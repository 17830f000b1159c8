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
        S->Parties = parties;
    }

    private ProcessBarrier(SharedMemory memory) => _memory = memory;

    private State* S => (State*)_memory.Pointer;

    /// <summary>How many parties must arrive to trip the barrier.</summary>
    public int Parties => S->Parties;

    /// <summary>How many parties wait now (Python's <c>n_waiting</c>).</summary>
    public int Waiting => Volatile.Read(ref S->Arrived);

    /// <summary>Whether the barrier is broken (Python's <c>broken</c>).</summary>
    public bool IsBroken => Volatile.Read(ref S->Broken) != 0;

    /// <summary>Waits for all parties, without limit.</summary>
    /// <returns>This party's arrival index, 0 to <see cref="Parties"/> - 1 (Python's <c>wait()</c> result).</returns>
    public int SignalAndWait() => SignalAndWait(Timeout.InfiniteTimeSpan);

    /// <summary>Waits for all parties; a timeout breaks the barrier for everyone.</summary>
    /// <returns>This party's arrival index, 0 to <see cref="Parties"/> - 1.</returns>
    /// <exception cref="ProcessBarrierBrokenException">The barrier is or became broken (timeout, abort, reset, or a party died).</exception>
    public int SignalAndWait(TimeSpan timeout)
    {
        Deadline deadline = Deadline.From(timeout);
        State* s = S;
        Lock(s);
        if (s->Broken != 0)
        {
            LockWord.Exit(&s->Lock);
            throw Broken();
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
            int left = deadline.RemainingMs;
            if (left == 0)
            {
                Abort();
                throw new ProcessBarrierBrokenException($"timed out waiting for {Parties} parties at the ProcessBarrier; it is now broken for every party (call Reset to reuse it)");
            }
            Futex.Wait(&s->Generation, generation, left);
        }
        return Volatile.Read(ref s->CutGeneration) == generation + 1 ? throw Broken() : index;
    }

    /// <summary>Breaks the barrier: current and later waiters get <see cref="ProcessBarrierBrokenException"/> (Python's <c>abort()</c>).</summary>
    public void Abort()
    {
        State* s = S;
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
        State* s = S;
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

    private static void Lock(State* s)
    {
        // A party that died inside this short critical section left no half-made change that matters.
        LockWord.Enter(&s->Lock, Deadline.Infinite, out _);
    }

    private ProcessBarrierBrokenException Broken() => new($"the ProcessBarrier for {Parties} parties is broken (a party timed out or called Abort/Reset); call Reset to reuse it");

    /// <summary>Unmaps the barrier in this process (other processes keep it).</summary>
    public void Dispose() => _memory.Dispose();

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles) => _memory.WriteShared(ref writer, handles);

    static ProcessBarrier IProcessShareable<ProcessBarrier>.ReadShared(ref MessagePackReader reader, HandleTable handles)
        => new(SharedMemory.ReadShared(ref reader, handles));
}
