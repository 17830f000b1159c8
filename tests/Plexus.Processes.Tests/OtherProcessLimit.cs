using System.Runtime.InteropServices;

namespace Plexus.Processes.Tests;

/// <summary>The soft <c>RLIMIT_NOFILE</c> of another process (prlimit on its pid), which Plexus.Native does not wrap.</summary>
internal static partial class OtherProcessLimit
{
    private const int RlimitNoFile = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Soft;
        public ulong Hard;
    }

    [LibraryImport("libc", EntryPoint = "prlimit", SetLastError = true)]
    private static unsafe partial int Prlimit(int pid, int resource, RLimit* newLimit, RLimit* oldLimit);

    /// <summary>Sets the soft descriptor limit of <paramref name="pid"/>, keeping its hard limit.</summary>
    public static unsafe void SetDescriptors(int pid, int soft)
    {
        RLimit limit;
        if (Prlimit(pid, RlimitNoFile, null, &limit) != 0)
        {
            throw new InvalidOperationException($"prlimit({pid}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        limit.Soft = (ulong)soft;
        if (Prlimit(pid, RlimitNoFile, &limit, null) != 0)
        {
            throw new InvalidOperationException($"prlimit({pid}, {soft}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>How many descriptors <paramref name="pid"/> has open.</summary>
    public static int OpenDescriptors(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;
}
