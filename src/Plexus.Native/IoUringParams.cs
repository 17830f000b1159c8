using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary><c>struct io_uring_params</c>: what <see cref="IoUringCalls.Setup"/> is asked for and what the kernel answers.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct IoUringParams
{
    /// <summary>Sizes, <c>IORING_SETUP_*</c> flags in, <c>IORING_FEAT_*</c> features out, and the unused SQ-thread and work-queue settings.</summary>
    public uint SqEntries, CqEntries, Flags, SqThreadCpu, SqThreadIdle, Features, WqFd;

    /// <summary>Reserved.</summary>
    public fixed uint Resv[3];

    /// <summary>The submission ring's layout.</summary>
    public IoSqringOffsets SqOff;

    /// <summary>The completion ring's layout.</summary>
    public IoCqringOffsets CqOff;
}
