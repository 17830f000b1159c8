using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary><c>struct io_cqring_offsets</c>: where the completion ring's fields lie in its mapping, filled in by <see cref="IoUringCalls.Setup"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IoCqringOffsets
{
    /// <summary>Byte offsets of the ring's fields from the start of the mapping.</summary>
    public uint Head, Tail, RingMask, RingEntries, Overflow, Cqes, Flags, Resv1;

    /// <summary>Reserved.</summary>
    public ulong Resv2;
}
