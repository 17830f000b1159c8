using System.Runtime.CompilerServices;
using MessagePack;
using Plexus.Native;
using Plexus.Processes.Serialization;

namespace Plexus.Processes.Sync;

/// <summary>
/// A block of memory shared by processes: an anonymous <c>memfd</c> mapped <c>MAP_SHARED</c>. It has no
/// name in any filesystem, so only processes that are handed its descriptor (a child gets it over
/// <c>SCM_RIGHTS</c>) can map it; the kernel frees it when the last descriptor and mapping are gone.
/// </summary>
/// <remarks>
/// Every operation on a shared object runs between <see cref="Enter"/> and <see cref="Exit"/>, which
/// count a reference on the mapping: <see cref="Dispose"/> makes later operations throw
/// <see cref="ObjectDisposedException"/>, sleepers of this process on the object see it at the end of
/// their current futex slice (100 ms at most) and throw it too, and the mapping goes away when the
/// last running operation leaves.
/// </remarks>
internal sealed unsafe class SharedMemory : IDisposable
{
    private const int PageSize = 4096;
    private readonly MappingHandle _mapping;
    private readonly byte* _pointer;
    private int _disposed;

    private SharedMemory(int fd, int size)
    {
        try
        {
            _pointer = (byte*)MemoryFile.Map(fd, size);
        }
        catch
        {
            Descriptors.Close(fd);
            throw;
        }
        _mapping = new MappingHandle(_pointer, size, fd);
    }

    /// <summary>Bytes mapped (a whole number of pages).</summary>
    public int Size => _mapping.Size;

    /// <summary>
    /// The start of the mapping, for a caller that holds a reference (<see cref="Enter"/>) or hands out
    /// memory documented as valid until <see cref="Dispose"/> (a span, a <c>ref</c>).
    /// </summary>
    public byte* Pointer
    {
        get
        {
            ThrowIfDisposed();
            return _pointer;
        }
    }

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Takes a reference on the mapping for one operation and returns its start.</summary>
    /// <exception cref="ObjectDisposedException">The object was disposed in this process.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* Enter()
    {
        bool added = false;
        _mapping.DangerousAddRef(ref added);
        if (Volatile.Read(ref _disposed) != 0)
        {
            _mapping.DangerousRelease();
            throw Disposed();
        }
        return _pointer;
    }

    /// <summary>The start of the mapping, for a caller that holds a reference taken by <see cref="Enter"/> (no check).</summary>
    public byte* HeldPointer => _pointer;

    /// <summary>Releases the reference <see cref="Enter"/> took.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Exit() => _mapping.DangerousRelease();

    /// <summary>Throws <see cref="ObjectDisposedException"/> once <see cref="Dispose"/> was called.</summary>
    public void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw Disposed();
        }
    }

    private static ObjectDisposedException Disposed()
        => new(nameof(SharedMemory), "this process-shared object was disposed in this process (other processes keep theirs); create or receive a new one");

    /// <summary>Creates zero-filled shared memory of at least <paramref name="size"/> bytes.</summary>
    public static SharedMemory Create(string name, long size)
    {
        long rounded = (size + PageSize - 1) / PageSize * PageSize;
        if (rounded is <= 0 or > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "shared memory must be between 1 byte and 2 GiB");
        }
        return new SharedMemory(MemoryFile.Create("plexus-" + name, rounded, sealSize: false), (int)rounded);
    }

    /// <summary>Writes the descriptor index and size (the receiving side maps the same memory).</summary>
    public void WriteShared(ref MessagePackWriter writer, HandleTable handles)
    {
        // The reference keeps the memfd open until the launch owns its own duplicate.
        Enter();
        try
        {
            writer.WriteArrayHeader(2);
            writer.Write(handles.AddDuplicate(_mapping.Fd));
            writer.Write(Size);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Maps the memory a parent described with <see cref="WriteShared"/>.</summary>
    public static SharedMemory ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        if (reader.ReadArrayHeader() != 2)
        {
            throw new MessagePackSerializationException("shared memory is described by two fields");
        }
        int fd = handles.Take(reader.ReadInt32());
        int size = reader.ReadInt32();
        return new SharedMemory(fd, size);
    }

    /// <summary>
    /// Detaches this process: later operations throw <see cref="ObjectDisposedException"/>, sleepers in
    /// this process throw it within 100 ms, and the mapping is unmapped once no operation uses it. Other
    /// processes keep their own mappings.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _mapping.Dispose();
    }
}
