using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary><c>struct io_sqring_offsets</c>: where the submission ring's fields lie in its mapping, filled in by <see cref="IoUringCalls.Setup"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IoSqringOffsets
{
    /// <summary>Byte offsets of the ring's fields from the start of the mapping.</summary>
    public uint Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1;

    /// <summary>Reserved.</summary>
    public ulong Resv2;
}
