using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary>
/// <c>io_uring(7)</c> through raw <c>syscall</c>s: liburing is mostly inline header code that
/// P/Invoke cannot reach, and the three calls plus <c>mmap</c> are the whole kernel interface.
/// Layouts and numbers follow <c>linux/io_uring.h</c>; the syscall numbers are the same on every
/// 64-bit Linux architecture.
/// </summary>
internal static unsafe partial class LibC
{
    internal const nint SYS_io_uring_setup = 425;
    internal const nint SYS_io_uring_enter = 426;
    internal const nint SYS_io_uring_register = 427;

    internal const int MAP_POPULATE = 0x8000;
    internal const int MAP_PRIVATE = 0x02;
    internal const int MAP_ANONYMOUS = 0x20;

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    internal static partial int io_uring_setup(nint number, uint entries, IoUringParams* p);

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    internal static partial int io_uring_enter(nint number, int fd, uint toSubmit, uint minComplete, uint flags, void* sig, nint sigSize);

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    internal static partial int io_uring_register(nint number, int fd, uint opcode, void* arg, uint nrArgs);
}
