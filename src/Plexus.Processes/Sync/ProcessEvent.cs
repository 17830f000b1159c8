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

    /// <summary>Whether the flag is set (Python's <c>is_set()</c>).</summary>
    public bool IsSet
    {
        get
        {
            State* s = (State*)_memory.Enter();
            try
            {
                return Volatile.Read(ref s->Flag) != 0;
            }
            finally
            {
                _memory.Exit();
            }
        }
    }

    /// <summary>Sets the flag and wakes every waiter.</summary>
    public void Set()
    {
        State* s = (State*)_memory.Enter();
        try
        {
            Interlocked.Exchange(ref s->Flag, 1);
            if (Volatile.Read(ref s->Sleepers) > 0)
            {
                Futex.WakeAll(&s->Flag);
            }
        }
        finally
        {
            _memory.Exit();
        }
    }

    /// <summary>Clears the flag; later waiters block until the next <see cref="Set"/>.</summary>
    public void Clear()
    {
        State* s = (State*)_memory.Enter();
        try
        {
            Interlocked.Exchange(ref s->Flag, 0);
        }
        finally
        {
            _memory.Exit();
        }
    }

    /// <summary>Blocks until the flag is set.</summary>
    public void Wait() => Wait(Timeout.InfiniteTimeSpan, CancellationToken.None);

    /// <summary>Blocks until the flag is set or <paramref name="cancellationToken"/> fires.</summary>
    /// <exception cref="OperationCanceledException">The token fired first.</exception>
    public void Wait(CancellationToken cancellationToken) => Wait(Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Blocks until the flag is set or <paramref name="timeout"/> passes (Python's <c>wait(timeout)</c>).</summary>
    /// <returns>Whether the flag is set.</returns>
    public bool Wait(TimeSpan timeout) => Wait(timeout, CancellationToken.None);

    /// <summary>Blocks until the flag is set, <paramref name="timeout"/> passes or <paramref name="cancellationToken"/> fires.</summary>
    /// <returns>Whether the flag is set.</returns>
    /// <exception cref="OperationCanceledException">The token fired first.</exception>
    /// <exception cref="ObjectDisposedException">Disposed in this process (also while waiting).</exception>
    public bool Wait(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Deadline deadline = Deadline.From(timeout, cancellationToken);
        State* s = (State*)_memory.Enter();
        try
        {
            while (Volatile.Read(ref s->Flag) == 0)
            {
                if (deadline.RemainingMs == 0)
                {
                    return false;
                }
                Interlocked.Increment(ref s->Sleepers);
                try
                {
                    Futex.Wait(&s->Flag, 0, deadline, _memory);
                }
                finally
                {
                    Interlocked.Decrement(ref s->Sleepers);
                }
            }
            return true;
        }
        finally
        {
            _memory.Exit();
        }
    }

    /// <summary>Unmaps the event in this process (other processes keep it); waiters in this process get <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => _memory.Dispose();

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles) => _memory.WriteShared(ref writer, handles);

    static ProcessEvent IProcessShareable<ProcessEvent>.ReadShared(ref MessagePackReader reader, HandleTable handles)
        => new(SharedMemory.ReadShared(ref reader, handles));
}
