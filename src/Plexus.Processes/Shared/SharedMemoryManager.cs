using System.Buffers;

namespace Plexus.Processes;

/// <summary>
/// A <see cref="Memory{T}"/> over a <see cref="NamedSharedMemory"/> mapping. Pinning is free (the mapping
/// never moves); every span it gives checks that the segment is still mapped in this process.
/// </summary>
internal sealed unsafe class SharedMemoryManager<T>(NamedSharedMemory memory, int length) : MemoryManager<T> where T : unmanaged
{
    public override Span<T> GetSpan() => new(memory.Pointer, length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, length);
        return new MemoryHandle((T*)memory.Pointer + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
