namespace Plexus.Native;

/// <summary>
/// Anonymous shared memory (<c>memfd_create(2)</c>): a file that lives only in memory, which any
/// process holding its descriptor can map. Every one made here is close-on-exec.
/// </summary>
public static unsafe class MemoryFile
{
    private const int SizeSeals = LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW;

    /// <summary>
    /// Creates a memory file of <paramref name="size"/> zero bytes and returns its descriptor. With
    /// <paramref name="sealSize"/> its size is sealed for good (no process can shrink or grow it), so
    /// a process mapping it can rely on every byte existing: touching a page past the end of a shrunk
    /// file is a SIGBUS.
    /// </summary>
    /// <param name="name">Shown in <c>/proc/PID/fd</c> (as <c>memfd:NAME</c>); need not be unique.</param>
    /// <param name="size">The size in bytes.</param>
    /// <param name="sealSize">Seal the size (and the seals) for good.</param>
    public static int Create(string name, long size, bool sealSize)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        uint flags = LibC.MFD_CLOEXEC | (sealSize ? LibC.MFD_ALLOW_SEALING : 0);
        int fd = LibC.Check(LibC.memfd_create(name, flags), "memfd_create", name);
        if (LibC.ftruncate(fd, size) == -1 || (sealSize && LibC.fcntl(fd, LibC.F_ADD_SEALS, SizeSeals | LibC.F_SEAL_SEAL) == -1))
        {
            ErrnoException error = ErrnoException.FromLastError(sealSize ? "ftruncate/fcntl(F_ADD_SEALS)" : "ftruncate", $"memory file '{name}' of {size} bytes");
            LibC.close(fd);
            throw error;
        }
        return fd;
    }

    /// <summary>The file's size as the kernel has it (not as a peer that sent the descriptor claims it).</summary>
    public static long Size(int fd)
    {
        long size = LibC.lseek(fd, 0, LibC.SEEK_END);
        return size == -1 ? throw ErrnoException.FromLastError("lseek(SEEK_END)", $"descriptor {fd}") : size;
    }

    /// <summary>Whether the file's size is sealed against both shrinking and growing (false for any other descriptor).</summary>
    public static bool IsSizeSealed(int fd)
    {
        int seals = LibC.fcntl(fd, LibC.F_GET_SEALS, 0);
        return seals != -1 && (seals & SizeSeals) == SizeSeals;
    }

    /// <summary>Maps the first <paramref name="length"/> bytes of the file, shared and read-write; release with <see cref="Unmap"/>.</summary>
    public static void* Map(int fd, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        void* p = LibC.mmap(null, (nuint)length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        return p == (void*)-1 ? throw ErrnoException.FromLastError("mmap", $"{length} bytes of descriptor {fd}") : p;
    }

    /// <summary>Removes a mapping made by <see cref="Map"/> (<paramref name="length"/> as given there).</summary>
    public static void Unmap(void* address, long length)
        => LibC.Check(LibC.munmap(address, (nuint)length), "munmap", $"{length} bytes");
}
