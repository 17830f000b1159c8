using Plexus.Processes.Serialization;
using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;

namespace Plexus.Processes;

/// <summary>Lets <see cref="ManagerWire"/> patch a length header already written to a buffer.</summary>
internal static class MemoryMarshalHelper
{
    public static Span<byte> At(ArrayBufferWriter<byte> output, int start) =>
        System.Runtime.InteropServices.MemoryMarshal.AsMemory(output.WrittenMemory).Span.Slice(start, 4);
}
