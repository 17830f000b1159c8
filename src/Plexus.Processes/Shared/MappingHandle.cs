using System.Runtime.InteropServices;
using Plexus.Native;

namespace Plexus.Processes.Sync;

/// <summary>
/// A shared mapping and its <c>memfd</c>: unmapped and closed only when the last operation that took
/// a reference (<see cref="SafeHandle.DangerousAddRef"/>) has released it, so a dispose racing a use
/// never leaves that use touching unmapped memory.
/// </summary>
internal sealed unsafe class MappingHandle : SafeHandle
{
    public MappingHandle(byte* pointer, int size, int fd) : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle((IntPtr)pointer);
        Size = size;
        Fd = fd;
    }

    /// <summary>Bytes mapped.</summary>
    public int Size { get; }

    /// <summary>The memfd (what travels to other processes).</summary>
    public int Fd { get; }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        MemoryFile.Unmap((void*)handle, Size);
        Descriptors.Close(Fd);
        return true;
    }
}
