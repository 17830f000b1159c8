using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary><c>struct io_uring_buf_reg</c>: the argument of <see cref="IoUringCalls.RegisterPbufRing"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct IoUringBufReg
{
    /// <summary>The ring's page-aligned address.</summary>
    public ulong RingAddr;

    /// <summary>Entries in the ring (a power of two).</summary>
    public uint RingEntries;

    /// <summary>The buffer group id.</summary>
    public ushort Bgid;

    /// <summary>Padding.</summary>
    public ushort Pad;

    /// <summary>Reserved.</summary>
    public fixed ulong Resv[3];
}
