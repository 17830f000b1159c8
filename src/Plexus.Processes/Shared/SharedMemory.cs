using MessagePack;
using Plexus.Native;
using Plexus.Processes.Serialization;

namespace Plexus.Processes.Sync;

/// <summary>
/// A block of memory shared by processes: an anonymous <c>memfd</c> mapped <c>MAP_SHARED</c>. It has no
/// name in any filesystem, so only processes that are handed its descriptor (a child gets it over
/// <c>SCM_RIGHTS</c>) can map it; the kernel frees it when the last descriptor and mapping are gone.
/// </summary>
internal sealed unsafe class SharedMemory : IDisposable
{
    private const int PageSize = 4096;
    private readonly SafeFd _fd;
    private byte* _pointer;

    private SharedMemory(int fd, int size)
    {
        _fd = new SafeFd(fd);
        Size = size;
        void* p = LibC.mmap(null, (nuint)size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        if (p == (void*)-1)
        {
            ErrnoException error = ErrnoException.FromLastError("mmap", $"shared memory of {size} bytes");
            _fd.Dispose();
            throw error;
        }
        _pointer = (byte*)p;
    }

    /// <summary>Bytes mapped (a whole number of pages).</summary>
    public int Size { get; }

    /// <summary>The start of the mapping; valid until <see cref="Dispose"/>.</summary>
    public byte* Pointer => _pointer != null ? _pointer : throw new ObjectDisposedException(nameof(SharedMemory), "this shared object was disposed in this process");

    public bool IsDisposed => _pointer == null;

    /// <summary>Creates zero-filled shared memory of at least <paramref name="size"/> bytes.</summary>
    public static SharedMemory Create(string name, long size)
    {
        long rounded = (size + PageSize - 1) / PageSize * PageSize;
        if (rounded is <= 0 or > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "shared memory must be between 1 byte and 2 GiB");
        }
        int fd = LibC.Check(LibC.memfd_create("plexus-" + name, LibC.MFD_CLOEXEC), "memfd_create", name);
        if (LibC.ftruncate(fd, rounded) == -1)
        {
            ErrnoException error = ErrnoException.FromLastError("ftruncate", $"shared memory '{name}' of {rounded} bytes");
            LibC.close(fd);
            throw error;
        }
        return new SharedMemory(fd, (int)rounded);
    }

    /// <summary>Writes the descriptor index and size (the receiving side maps the same memory).</summary>
    public void WriteShared(ref MessagePackWriter writer, HandleTable handles)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        writer.WriteArrayHeader(2);
        writer.Write(handles.Add(_fd));
        writer.Write(Size);
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

    /// <summary>Unmaps and closes. Other processes keep their own mappings.</summary>
    public void Dispose()
    {
        byte* p = _pointer;
        if (p == null)
        {
            return;
        }
        _pointer = null;
        LibC.munmap(p, (nuint)Size);
        _fd.Dispose();
    }
}
