using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary><c>struct io_uring_buf</c>: one provided buffer (16 bytes); the ring's tail overlays the first entry's <see cref="Resv"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IoUringBuf
{
    /// <summary>The buffer's address.</summary>
    public ulong Addr;

    /// <summary>The buffer's length.</summary>
    public uint Len;

    /// <summary>The id completions report it by.</summary>
    public ushort Bid;

    /// <summary>Reserved (in the first entry: the ring's tail).</summary>
    public ushort Resv;
}
