using System.Buffers;

namespace Plexus.Processes;

/// <summary>Lets <see cref="ManagerWire"/> patch a length header already written to a buffer.</summary>
internal static class MemoryMarshalHelper
{
    public static Span<byte> At(ArrayBufferWriter<byte> output, int start) =>
        System.Runtime.InteropServices.MemoryMarshal.AsMemory(output.WrittenMemory).Span.Slice(start, 4);
}
