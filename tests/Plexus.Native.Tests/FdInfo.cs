namespace Plexus.Native.Tests;

/// <summary>A descriptor's open flags as the kernel reports them in <c>/proc/self/fdinfo</c>.</summary>
internal static class FdInfo
{
    private const int NonBlockingFlag = 0x800;   // O_NONBLOCK
    private const int CloseOnExecFlag = 0x80000; // O_CLOEXEC

    public static bool IsNonBlocking(int fd) => (Flags(fd) & NonBlockingFlag) != 0;

    public static bool IsCloseOnExec(int fd) => (Flags(fd) & CloseOnExecFlag) != 0;

    private static int Flags(int fd)
    {
        string line = File.ReadLines($"/proc/self/fdinfo/{fd}").First(l => l.StartsWith("flags:", StringComparison.Ordinal));
        return Convert.ToInt32(line["flags:".Length..].Trim(), 8);
    }
}
