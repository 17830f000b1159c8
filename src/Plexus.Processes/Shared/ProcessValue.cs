using System.Runtime.CompilerServices;
using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// One value of an unmanaged type in shared memory, Python's <c>multiprocessing.Value</c>. A read or
/// write of <see cref="Value"/> is whole: a value of up to 8 bytes is one aligned memory access, and a
/// wider one is read and written under <see cref="Lock"/> when the value has one (as Python's
/// synchronized wrapper does), so no process sees half of one write and half of another. A
/// read-modify-write such as <c>v.Value++</c> from several processes still needs the lock around it:
/// <c>using (v.Lock.Acquire()) v.Value++;</c> (the lock is re-entrant), or, for an integer, <see cref="Ref"/>
/// with <see cref="Interlocked"/>: <c>Interlocked.Increment(ref v.Ref)</c>.
/// </summary>
public sealed unsafe class ProcessValue<T> : IProcessShareable<ProcessValue<T>>, IDisposable where T : unmanaged
{
    private readonly SharedMemory _memory;
    private readonly ProcessRLock? _lock;
    /// <summary>Whether every get and set takes the lock: a synchronized value wider than one 8-byte access.</summary>
    private readonly bool _lockEachAccess;

    /// <summary>Creates the value.</summary>
    /// <param name="initial">Its first value.</param>
    /// <param name="synchronized">Whether to create a <see cref="ProcessRLock"/> with it (Python's <c>lock=True</c>, the default).</param>
    public ProcessValue(T initial = default, bool synchronized = true)
    {
        _memory = SharedMemory.Create("value", sizeof(T));
        Value = initial;
        _lock = synchronized ? new ProcessRLock() : null;
        _lockEachAccess = _lock is not null && sizeof(T) > sizeof(long);
    }

    private ProcessValue(SharedMemory memory, ProcessRLock? @lock)
    {
        if (memory.Size < sizeof(T))
        {
            memory.Dispose();
            throw new MessagePackSerializationException($"the shared memory is smaller than one {typeof(T)}: the two processes disagree on the value's type");
        }
        _memory = memory;
        _lock = @lock;
        _lockEachAccess = _lock is not null && sizeof(T) > sizeof(long);
    }

    /// <summary>The value (Python's <c>.value</c>); taken and set under <see cref="Lock"/> when wider than 8 bytes.</summary>
    /// <exception cref="AbandonedProcessLockException">A process died holding the lock, perhaps in the middle of a write: the caller owns the lock now; repair the value and dispose the exception's <see cref="AbandonedProcessLockException.Scope"/>.</exception>
    public T Value
    {
        get
        {
            if (!_lockEachAccess)
            {
                return Read();
            }
            using (_lock!.Acquire())
            {
                return Read();
            }
        }
        set
        {
            if (!_lockEachAccess)
            {
                Write(value);
                return;
            }
            using (_lock!.Acquire())
            {
                Write(value);
            }
        }
    }

    private T Read()
    {
        byte* p = _memory.Enter();
        try
        {
            return Unsafe.ReadUnaligned<T>(p);
        }
        finally
        {
            _memory.Exit();
        }
    }

    private void Write(T value)
    {
        byte* p = _memory.Enter();
        try
        {
            Unsafe.WriteUnaligned(p, value);
        }
        finally
        {
            _memory.Exit();
        }
    }

    /// <summary>A reference to the shared value, for <see cref="Interlocked"/> operations or in-place updates (valid until <see cref="Dispose"/>).</summary>
    public ref T Ref => ref Unsafe.AsRef<T>(_memory.Pointer);

    /// <summary>The lock created with the value (Python's <c>get_lock()</c>).</summary>
    /// <exception cref="InvalidOperationException">The value was created with <c>synchronized: false</c> (see <see cref="IsSynchronized"/>).</exception>
    public ProcessRLock Lock => _lock ?? throw new InvalidOperationException(
        "this ProcessValue was created with synchronized: false and has no lock (Python's RawValue); create it with synchronized: true, or guard it with a ProcessLock of your own");

    /// <summary>Whether it was created with a lock (<see cref="Lock"/>).</summary>
    public bool IsSynchronized => _lock is not null;

    /// <summary>Unmaps the value (and its lock) in this process.</summary>
    public void Dispose()
    {
        _memory.Dispose();
        _lock?.Dispose();
    }

    /// <inheritdoc />
    public override string? ToString() => Value.ToString();

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles) => LockedMemory.Write(ref writer, handles, _memory, _lock);

    static ProcessValue<T> IProcessShareable<ProcessValue<T>>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (SharedMemory memory, ProcessRLock? @lock) = LockedMemory.Read(ref reader, handles, "value");
        return new ProcessValue<T>(memory, @lock);
    }
}
