using System.Buffers;
using System.Runtime.CompilerServices;

namespace Plexus.Processes;

/// <summary>A per-thread buffer the pool encodes calls into before copying them out (one allocation per message, exact size).</summary>
internal static class PoolScratch
{
    [ThreadStatic] private static ArrayBufferWriter<byte>? _buffer;

    /// <summary>The calling thread's buffer, emptied (a huge one is dropped rather than kept).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ArrayBufferWriter<byte> Take()
    {
        ArrayBufferWriter<byte> buffer = _buffer ??= new ArrayBufferWriter<byte>(256);
        if (buffer.Capacity > 1 << 20)
        {
            buffer = _buffer = new ArrayBufferWriter<byte>(256);
        }
        buffer.ResetWrittenCount();
        return buffer;
    }
}
