using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary><c>struct io_uring_cqe</c>: a completion queue entry.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IoUringCqe
{
    /// <summary>The submission's <see cref="IoUringSqe.UserData"/>.</summary>
    public ulong UserData;

    /// <summary>The result: a count or descriptor, or a negated errno.</summary>
    public int Res;

    /// <summary><c>IORING_CQE_F_*</c> flags and, with <see cref="IoUringCalls.CqeBuffer"/>, the buffer id.</summary>
    public uint Flags;
}
