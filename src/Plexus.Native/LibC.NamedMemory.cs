using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary>Named shared memory under <c>/dev/shm</c>: <c>open</c>, <c>linkat</c>, <c>unlink</c>, <c>fchmod</c>, <c>flock</c>.</summary>
internal static unsafe partial class LibC
{
    internal const int O_RDONLY = 0;
    internal const int O_RDWR = 2;
    internal const int O_CLOEXEC = 0x80000;

    /// <summary><c>O_NOFOLLOW</c>: 0x8000 on arm (asm-generic uses 0x20000, as x86 does).</summary>
    internal static int O_NOFOLLOW => IsArm ? 0x8000 : 0x20000;

    /// <summary><c>O_TMPFILE</c> is <c>__O_TMPFILE | O_DIRECTORY</c>; <c>O_DIRECTORY</c> is 0x4000 on arm, 0x10000 elsewhere.</summary>
    internal static int O_TMPFILE => 0x400000 | (IsArm ? 0x4000 : 0x10000);

    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_FOLLOW = 0x400;
    internal const int LOCK_EX = 2;
    internal const int LOCK_NB = 4;

    private static bool IsArm => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;

    /// <summary><c>open(2)</c>; the mode is passed where the variadic argument goes (the same register on x86-64 and arm64 Linux).</summary>
    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int open(string path, int flags, uint mode);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int linkat(int olddirfd, string oldpath, int newdirfd, string newpath, int flags);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int unlink(string path);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int fchmod(int fd, uint mode);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int flock(int fd, int operation);
}
