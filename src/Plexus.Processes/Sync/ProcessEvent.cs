using System.Runtime.InteropServices;
using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// A flag processes can wait for, Python's <c>multiprocessing.Event</c>: <see cref="Set"/> wakes every
/// waiter, <see cref="Clear"/> resets it, <see cref="Wait(TimeSpan)"/> blocks until it is set.
/// </summary>
public sealed unsafe class ProcessEvent : IProcessShareable<ProcessEvent>, IDisposable
{
    [StructLayout(LayoutKind.Sequential)]
    private struct State
    {
        public int Flag;
        public int Sleepers;
    }

    private readonly SharedMemory _memory;

    /// <summary>Creates a cleared event.</summary>
    public ProcessEvent() : this(SharedMemory.Create("event", sizeof(State))) { }

    private ProcessEvent(SharedMemory memory) => _memory = memory;

    private State* S => (State*)_memory.Pointer;

    /// <summary>Whether the flag is set (Python's <c>is_set()</c>).</summary>
    public bool IsSet => Volatile.Read(ref S->Flag) != 0;

    /// <summary>Sets the flag and wakes every waiter.</summary>
    public void Set()
    {
        State* s = S;
        Interlocked.Exchange(ref s->Flag, 1);
        if (Volatile.Read(ref s->Sleepers) > 0)
        {
            Futex.WakeAll(&s->Flag);
        }
    }

    /// <summary>Clears the flag; later waiters block until the next <see cref="Set"/>.</summary>
    public void Clear() => Interlocked.Exchange(ref S->Flag, 0);

    /// <summary>Blocks until the flag is set.</summary>
    public void Wait() => Wait(Timeout.InfiniteTimeSpan);

    /// <summary>Blocks until the flag is set or <paramref name="timeout"/> passes (Python's <c>wait(timeout)</c>).</summary>
    /// <returns>Whether the flag is set.</returns>
    public bool Wait(TimeSpan timeout)
    {
        Deadline deadline = Deadline.From(timeout);
        State* s = S;
        while (Volatile.Read(ref s->Flag) == 0)
        {
            int left = deadline.RemainingMs;
            if (left == 0)
            {
                return false;
            }
            Interlocked.Increment(ref s->Sleepers);
            Futex.Wait(&s->Flag, 0, left);
            Interlocked.Decrement(ref s->Sleepers);
        }
        return true;
    }

    /// <summary>Unmaps the event in this process (other processes keep it).</summary>
    public void Dispose() => _memory.Dispose();

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles) => _memory.WriteShared(ref writer, handles);

    static ProcessEvent IProcessShareable<ProcessEvent>.ReadShared(ref MessagePackReader reader, HandleTable handles)
        => new(SharedMemory.ReadShared(ref reader, handles));
}
