using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary><c>struct io_uring_sqe</c>: a submission queue entry (64 bytes); only the fields Plexus uses are named.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
public struct IoUringSqe
{
    /// <summary>The <c>IORING_OP_*</c> operation.</summary>
    [FieldOffset(0)] public byte Opcode;

    /// <summary><c>IOSQE_*</c> flags.</summary>
    [FieldOffset(1)] public byte Flags;

    /// <summary>For accept and recv: <see cref="IoUringCalls.AcceptMultishot"/>, <see cref="IoUringCalls.RecvMultishot"/>.</summary>
    [FieldOffset(2)] public ushort IoPrio;

    /// <summary>The descriptor operated on.</summary>
    [FieldOffset(4)] public int Fd;

    /// <summary>Offset, or the second address of some operations.</summary>
    [FieldOffset(8)] public ulong Off;

    /// <summary>Buffer address, or the user data to cancel.</summary>
    [FieldOffset(16)] public ulong Addr;

    /// <summary>Buffer length.</summary>
    [FieldOffset(24)] public uint Len;

    /// <summary>The operation's own flags (<c>msg_flags</c>, <c>poll32_events</c>, cancel flags).</summary>
    [FieldOffset(28)] public uint OpFlags;

    /// <summary>Returned unchanged in the completion.</summary>
    [FieldOffset(32)] public ulong UserData;

    /// <summary>The provided-buffer group to pick from (with <see cref="IoUringCalls.SqeBufferSelect"/>).</summary>
    [FieldOffset(40)] public ushort BufGroup;
}
