using static Plexus.Native.IoUringCalls;

namespace Plexus.IO;

/// <summary>One completion of an <see cref="IoUring"/> operation.</summary>
/// <param name="UserData">The value the operation was queued with.</param>
/// <param name="Result">What the operation returned: a byte count or descriptor, or minus an <c>errno</c>.</param>
/// <param name="Flags">The kernel's <c>IORING_CQE_F_*</c> flags.</param>
public readonly record struct IoUringCompletion(ulong UserData, int Result, uint Flags)
{
    /// <summary>A multishot operation is still armed and will complete again.</summary>
    public bool HasMore => (Flags & CqeMore) != 0;

    /// <summary>The kernel put the data in a provided buffer; see <see cref="BufferId"/>.</summary>
    public bool HasBuffer => (Flags & CqeBuffer) != 0;

    /// <summary>Which provided buffer holds the data, when <see cref="HasBuffer"/>.</summary>
    public ushort BufferId => (ushort)(Flags >> CqeBufferShift);

    /// <summary>The error number when <see cref="Result"/> is negative, else 0.</summary>
    public int Errno => Result < 0 ? -Result : 0;
}
