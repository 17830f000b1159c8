using System.Buffers;

namespace Plexus.Processes;

/// <summary>A per-thread buffer the pool encodes calls into before copying them out (one allocation per message, exact size).</summary>
internal static class PoolScratch
{
    [ThreadStatic, System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006", Justification = "t_ marks a thread-static field")]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>The calling thread's buffer, emptied (a huge one is dropped rather than kept).</summary>
    public static ArrayBufferWriter<byte> Take()
    {
        ArrayBufferWriter<byte> buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        if (buffer.Capacity > 1 << 20)
        {
            buffer = t_buffer = new ArrayBufferWriter<byte>(256);
        }
        buffer.ResetWrittenCount();
        return buffer;
    }
}
