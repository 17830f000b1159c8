using System.Runtime.InteropServices;

namespace Plexus.Native;

internal static unsafe partial class LibC
{
    /// <summary>glibc's <c>FD_SETSIZE</c>: an <c>fd_set</c> holds descriptors 0..1023 only.</summary>
    internal const int FD_SETSIZE = 1024;

    /// <summary><c>struct timeval</c> on x86_64: two longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TimeVal
    {
        internal long Seconds;
        internal long Microseconds;
    }

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int select(int nfds, FdSet* readfds, FdSet* writefds, FdSet* exceptfds, TimeVal* timeout);
}
