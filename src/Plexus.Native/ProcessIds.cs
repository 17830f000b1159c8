namespace Plexus.Native;

/// <summary>Process ids and signals.</summary>
public static class ProcessIds
{
    /// <summary>The parent process's id.</summary>
    public static int Parent() => LibC.getppid();

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; <c>false</c> when the process is gone.</summary>
    public static bool Signal(int pid, int signal)
    {
        if (LibC.kill(pid, signal) == 0)
        {
            return true;
        }
        int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        return errno == Errnos.ESRCH ? false : throw new ErrnoException("kill", errno, $"pid {pid}");
    }

    /// <summary>
    /// Opens a process descriptor for <paramref name="pid"/> (<c>pidfd_open(2)</c>, close-on-exec): it
    /// becomes readable once the process has exited, so poll, epoll and select can wait for an exit
    /// beside sockets. Returns -1 when no process has that id. For a child, open it before the child is
    /// reaped: after that the id may name another process.
    /// </summary>
    public static int OpenDescriptor(int pid)
    {
        int fd = (int)LibC.pidfd_open(LibC.SYS_pidfd_open, pid, 0);
        if (fd >= 0)
        {
            return fd;
        }
        int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        return errno == Errnos.ESRCH ? -1 : throw new ErrnoException("pidfd_open", errno, $"pid {pid}");
    }

    /// <summary>SIGTERM.</summary>
    public const int SigTerm = LibC.SIGTERM;

    /// <summary>SIGKILL.</summary>
    public const int SigKill = LibC.SIGKILL;
}
