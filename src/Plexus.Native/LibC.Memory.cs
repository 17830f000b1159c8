using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary>Anonymous shared memory: <c>memfd_create</c>, <c>ftruncate</c>, <c>lseek</c>, <c>mmap</c>, <c>munmap</c>.</summary>
internal static unsafe partial class LibC
{
    internal const uint MFD_CLOEXEC = 1;
    internal const uint MFD_ALLOW_SEALING = 2;
    internal const int F_ADD_SEALS = 1033;
    internal const int F_GET_SEALS = 1034;
    internal const int F_SEAL_SEAL = 1;
    internal const int F_SEAL_SHRINK = 2;
    internal const int F_SEAL_GROW = 4;
    internal const int PROT_READ = 1;
    internal const int PROT_WRITE = 2;
    internal const int MAP_SHARED = 1;

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int memfd_create(string name, uint flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int ftruncate(int fd, long length);

    /// <summary>With <see cref="SEEK_END"/>, a memfd's size as the kernel has it (not as a peer claims it).</summary>
    [LibraryImport(Lib, SetLastError = true)]
    internal static partial long lseek(int fd, long offset, int whence);

    internal const int SEEK_END = 2;

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int munmap(void* addr, nuint length);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int gettid();
}
