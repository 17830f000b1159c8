using System.Runtime.InteropServices;

namespace Plexus.Native;

internal static unsafe partial class LibC
{
    /// <summary>glibc's <c>FD_SETSIZE</c>: an <c>fd_set</c> holds descriptors 0..1023 only.</summary>
    internal const int FD_SETSIZE = 1024;

    /// <summary><c>fd_set</c>: a 1024-bit mask, 128 bytes, as sixteen 64-bit words.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 128)]
    internal struct FdSet
    {
        private fixed ulong _bits[FD_SETSIZE / 64];

        internal void Set(int fd) => _bits[fd >> 6] |= 1UL << (fd & 63);

        internal void Clear(int fd) => _bits[fd >> 6] &= ~(1UL << (fd & 63));

        internal readonly bool IsSet(int fd) => (_bits[fd >> 6] & (1UL << (fd & 63))) != 0;

        internal readonly ulong Word(int index) => _bits[index];
    }

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
