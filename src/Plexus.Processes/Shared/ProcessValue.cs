using System.Runtime.CompilerServices;
using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// One value of an unmanaged type in shared memory, Python's <c>multiprocessing.Value</c>. Reads and
/// writes of <see cref="Value"/> are plain memory accesses: a read-modify-write such as
/// <c>v.Value++</c> from several processes needs the lock (<see cref="Lock"/>, or any process lock).
/// </summary>
public sealed unsafe class ProcessValue<T> : IProcessShareable<ProcessValue<T>>, IDisposable where T : unmanaged
{
    private readonly SharedMemory _memory;

    /// <summary>Creates the value.</summary>
    /// <param name="initial">Its first value.</param>
    /// <param name="synchronized">Whether to create a <see cref="ProcessRLock"/> with it (Python's <c>lock=True</c>, the default).</param>
    public ProcessValue(T initial = default, bool synchronized = true)
    {
        _memory = SharedMemory.Create("value", sizeof(T));
        Value = initial;
        Lock = synchronized ? new ProcessRLock() : null;
    }

    private ProcessValue(SharedMemory memory, ProcessRLock? @lock)
    {
        if (memory.Size < sizeof(T))
        {
            memory.Dispose();
            throw new MessagePackSerializationException($"the shared memory is smaller than one {typeof(T)}: the two processes disagree on the value's type");
        }
        _memory = memory;
        Lock = @lock;
    }

    /// <summary>The value (Python's <c>.value</c>).</summary>
    public T Value
    {
        get => Unsafe.ReadUnaligned<T>(_memory.Pointer);
        set => Unsafe.WriteUnaligned(_memory.Pointer, value);
    }

    /// <summary>A reference to the shared value, for <see cref="Interlocked"/> operations or in-place updates.</summary>
    public ref T Ref => ref Unsafe.AsRef<T>(_memory.Pointer);

    /// <summary>The lock created with the value (Python's <c>get_lock()</c>), or <c>null</c> when created unsynchronized.</summary>
    public ProcessRLock? Lock { get; }

    /// <summary>Unmaps the value (and its lock) in this process.</summary>
    public void Dispose()
    {
        _memory.Dispose();
        Lock?.Dispose();
    }

    /// <inheritdoc />
    public override string? ToString() => Value.ToString();

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles) => LockedMemory.Write(ref writer, handles, _memory, Lock);

    static ProcessValue<T> IProcessShareable<ProcessValue<T>>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (SharedMemory memory, ProcessRLock? @lock) = LockedMemory.Read(ref reader, handles, "value");
        return new ProcessValue<T>(memory, @lock);
    }
}
