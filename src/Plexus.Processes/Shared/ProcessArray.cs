using System.Runtime.CompilerServices;
using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// A fixed-length array of an unmanaged type in shared memory, Python's <c>multiprocessing.Array</c>.
/// Element accesses are plain memory accesses; guard compound updates with <see cref="Lock"/>.
/// </summary>
public sealed unsafe class ProcessArray<T> : IProcessShareable<ProcessArray<T>>, IDisposable where T : unmanaged
{
    private const int HeaderSize = 64;
    private readonly SharedMemory _memory;
    private readonly ProcessRLock? _lock;

    /// <summary>Creates an array of <paramref name="length"/> zeroed elements.</summary>
    /// <param name="length">The number of elements.</param>
    /// <param name="synchronized">Whether to create a <see cref="ProcessRLock"/> with it (Python's default).</param>
    public ProcessArray(int length, bool synchronized = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _memory = SharedMemory.Create("array", HeaderSize + (long)length * sizeof(T));
        *(int*)_memory.Pointer = length;
        Length = length;
        _lock = synchronized ? new ProcessRLock() : null;
    }

    /// <summary>Creates an array holding a copy of <paramref name="initial"/>.</summary>
    public ProcessArray(ReadOnlySpan<T> initial, bool synchronized = true) : this(initial.Length, synchronized)
        => initial.CopyTo(AsSpan());

    private ProcessArray(SharedMemory memory, ProcessRLock? @lock)
    {
        _memory = memory;
        Length = *(int*)memory.Pointer;
        if (HeaderSize + (long)Length * sizeof(T) > memory.Size)
        {
            memory.Dispose();
            throw new MessagePackSerializationException($"the shared memory is too small for {Length} elements of {typeof(T)}: the two processes disagree on the element type");
        }
        _lock = @lock;
    }

    /// <summary>The number of elements.</summary>
    public int Length { get; }

    /// <summary>The lock created with the array (Python's <c>get_lock()</c>).</summary>
    /// <exception cref="InvalidOperationException">The array was created with <c>synchronized: false</c> (see <see cref="IsSynchronized"/>).</exception>
    public ProcessRLock Lock => _lock ?? throw new InvalidOperationException(
        "this ProcessArray was created with synchronized: false and has no lock (Python's RawArray); create it with synchronized: true, or guard it with a ProcessLock of your own");

    /// <summary>Whether it was created with a lock (<see cref="Lock"/>).</summary>
    public bool IsSynchronized => _lock is not null;

    /// <summary>The element at <paramref name="index"/>.</summary>
    public T this[int index]
    {
        get
        {
            CheckIndex(index);
            byte* p = _memory.Enter();
            try
            {
                return Unsafe.AsRef<T>(p + HeaderSize + (long)index * sizeof(T));
            }
            finally
            {
                _memory.Exit();
            }
        }
        set
        {
            CheckIndex(index);
            byte* p = _memory.Enter();
            try
            {
                Unsafe.AsRef<T>(p + HeaderSize + (long)index * sizeof(T)) = value;
            }
            finally
            {
                _memory.Exit();
            }
        }
    }

    /// <summary>A span over the shared elements (valid until <see cref="Dispose"/>).</summary>
    public Span<T> AsSpan() => new(_memory.Pointer + HeaderSize, Length);

    /// <summary>A copy of the elements.</summary>
    public T[] ToArray()
    {
        byte* p = _memory.Enter();
        try
        {
            return new ReadOnlySpan<T>(p + HeaderSize, Length).ToArray();
        }
        finally
        {
            _memory.Exit();
        }
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Length)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"the shared array has {Length} elements");
        }
    }

    /// <summary>Unmaps the array (and its lock) in this process.</summary>
    public void Dispose()
    {
        _memory.Dispose();
        _lock?.Dispose();
    }

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles) => LockedMemory.Write(ref writer, handles, _memory, _lock);

    static ProcessArray<T> IProcessShareable<ProcessArray<T>>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (SharedMemory memory, ProcessRLock? @lock) = LockedMemory.Read(ref reader, handles, "array");
        return new ProcessArray<T>(memory, @lock);
    }
}
