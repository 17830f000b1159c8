using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary>
/// libc entry points shared by both halves of Plexus. Each concept adds its calls in its own
/// partial file (<c>LibC.Epoll.cs</c>, <c>LibC.Socket.cs</c>, ...). Every call sets the last
/// P/Invoke error, so a failure can become an <see cref="ErrnoException"/> naming the call.
/// </summary>
internal static unsafe partial class LibC
{
    internal const string Lib = "libc";

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint read(int fd, byte* buf, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint write(int fd, byte* buf, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int getppid();

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int kill(int pid, int sig);

    /// <summary>pidfd_open's number: the same on every architecture (the unified table from Linux 5.3).</summary>
    internal const nint SYS_pidfd_open = 434;

    // glibc has no pidfd_open wrapper before 2.36; syscall() moves integer registers only, which is all this takes.
    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    internal static partial nint pidfd_open(nint number, int pid, uint flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint getrandom(byte* buf, nuint buflen, uint flags);

    internal const int F_DUPFD_CLOEXEC = 1030;
    internal const int F_GETFD = 1;

    internal const int SIGKILL = 9;
    internal const int SIGTERM = 15;

    /// <summary>Throws <see cref="ErrnoException"/> when <paramref name="result"/> is -1.</summary>
    internal static int Check(int result, string call, string? detail = null)
        => result == -1 ? throw ErrnoException.FromLastError(call, detail) : result;

    /// <summary>
    /// A call's result when it succeeded, else its negated errno: the convention of the wrappers that
    /// hot loops call (no exception, no second look-up of the error).
    /// </summary>
    internal static int OrErrno(int result) => result == -1 ? -Marshal.GetLastPInvokeError() : result;

    /// <inheritdoc cref="OrErrno(int)"/>
    internal static int OrErrno(nint result) => result == -1 ? -Marshal.GetLastPInvokeError() : (int)result;
}
