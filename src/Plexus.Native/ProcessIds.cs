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

    /// <summary>SIGTERM.</summary>
    public const int SigTerm = LibC.SIGTERM;

    /// <summary>SIGKILL.</summary>
    public const int SigKill = LibC.SIGKILL;
}
