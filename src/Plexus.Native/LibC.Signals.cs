using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary>Signal masks, <c>signalfd</c>, signal-driven I/O (<c>O_ASYNC</c>) and the pending-signal limit.</summary>
internal static unsafe partial class LibC
{
    internal const int SIGIO = 29;
    internal const int SIG_BLOCK = 0;
    internal const int SIG_UNBLOCK = 1;
    internal const int SFD_NONBLOCK = 0x800;
    internal const int SFD_CLOEXEC = 0x80000;
    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;
    internal const int F_SETSIG = 10;
    internal const int F_SETOWN_EX = 15;
    internal const int F_OWNER_TID = 0;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_ASYNC = 0x2000;
    internal const int RLIMIT_SIGPENDING = 11;

    /// <summary>glibc's <c>sigset_t</c>: 1,024 bits; signal n is bit n-1.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SigSet
    {
        internal fixed ulong Bits[16];

        internal void Add(int signal) => Bits[(signal - 1) / 64] |= 1UL << ((signal - 1) % 64);
    }

    /// <summary><c>struct f_owner_ex</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct FOwnerEx
    {
        internal int Type;
        internal int Pid;
    }

    [LibraryImport(Lib)]
    internal static partial int pthread_sigmask(int how, SigSet* set, SigSet* oldset);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int signalfd(int fd, SigSet* mask, int flags);

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int fcntl_owner(int fd, int cmd, FOwnerEx* owner);

    [LibraryImport(Lib)]
    internal static partial int __libc_current_sigrtmin();
}
