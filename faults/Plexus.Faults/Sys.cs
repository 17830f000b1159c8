using System.Runtime.InteropServices;

namespace Plexus.Faults;

/// <summary>The few system calls the matrix makes itself: signals to a pid it started, and resource limits of a pid.</summary>
internal static partial class Sys
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;
    public const int RlimitNoFile = 7;
    public const int RlimitAs = 9;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Soft;
        public ulong Hard;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillCall(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "prlimit", SetLastError = true)]
    private static unsafe partial int PrlimitCall(int pid, int resource, RLimit* newLimit, RLimit* oldLimit);

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false if it is gone already.</summary>
    public static bool Signal(int pid, int signal)
    {
        if (pid <= 1 || pid == Environment.ProcessId)
        {
            throw new ArgumentOutOfRangeException(nameof(pid), pid, "refusing to signal init or this process");
        }
        return KillCall(pid, signal) == 0;
    }

    /// <summary>Reads the (soft, hard) limit of <paramref name="resource"/> for <paramref name="pid"/> (0: this process).</summary>
    public static unsafe (ulong Soft, ulong Hard) GetLimit(int pid, int resource)
    {
        RLimit old;
        if (PrlimitCall(pid, resource, null, &old) != 0)
        {
            throw new InvalidOperationException($"prlimit({pid}, {resource}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        return (old.Soft, old.Hard);
    }

    /// <summary>Sets the soft limit of <paramref name="resource"/> for <paramref name="pid"/> (0: this process), keeping the hard one.</summary>
    public static unsafe void SetSoftLimit(int pid, int resource, ulong soft)
    {
        (_, ulong hard) = GetLimit(pid, resource);
        RLimit limit = new() { Soft = Math.Min(soft, hard), Hard = hard };
        if (PrlimitCall(pid, resource, &limit, null) != 0)
        {
            throw new InvalidOperationException($"prlimit({pid}, {resource}, {soft}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }
}
