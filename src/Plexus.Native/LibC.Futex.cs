using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary>
/// <c>futex(2)</c> through <c>syscall</c>. Plexus waits on words in <c>MAP_SHARED</c> memory seen by
/// several processes, so the operations are the shared (non-<c>FUTEX_PRIVATE_FLAG</c>) ones.
/// </summary>
internal static unsafe partial class LibC
{
    internal const nint SYS_futex = 202;
    internal const int FUTEX_WAIT = 0;
    internal const int FUTEX_WAKE = 1;

    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    // glibc's syscall() is variadic but only moves integer registers, so a fixed signature is safe on x86-64.
    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    internal static partial nint futex(nint number, int* uaddr, int op, int val, Timespec* timeout, nint uaddr2, int val3);
}
