using System.Buffers.Binary;

namespace Plexus.Processes.Sync;

/// <summary>
/// The bytes of a queue's ring: records wrap around its end, and a <c>byte[]</c> item is stored as the
/// MessagePack bin the serializer would write (header, then the bytes as they are).
/// </summary>
internal static unsafe class QueueRing
{
    public static void CopyIn(byte* ring, int at, ReadOnlySpan<byte> bytes, int capacity)
    {
        int first = Math.Min(bytes.Length, capacity - at);
        bytes[..first].CopyTo(new Span<byte>(ring + at, first));
        bytes[first..].CopyTo(new Span<byte>(ring, bytes.Length - first));
    }

    public static void CopyOut(byte* ring, int at, Span<byte> bytes, int capacity)
    {
        int first = Math.Min(bytes.Length, capacity - at);
        new ReadOnlySpan<byte>(ring + at, first).CopyTo(bytes);
        new ReadOnlySpan<byte>(ring, bytes.Length - first).CopyTo(bytes[first..]);
    }

    /// <summary>Writes the MessagePack header of a bin of <paramref name="length"/> bytes; returns its size.</summary>
    public static int WriteBinHeader(Span<byte> header, int length)
    {
        if (length <= byte.MaxValue)
        {
            header[0] = 0xc4;
            header[1] = (byte)length;
            return 2;
        }
        if (length <= ushort.MaxValue)
        {
            header[0] = 0xc5;
            BinaryPrimitives.WriteUInt16BigEndian(header[1..], (ushort)length);
            return 3;
        }
        header[0] = 0xc6;
        BinaryPrimitives.WriteInt32BigEndian(header[1..], length);
        return 5;
    }

    /// <summary>Reads a MessagePack bin header: its size (0 when <paramref name="bytes"/> does not start with one) and the bin's length.</summary>
    public static int ReadBinHeader(ReadOnlySpan<byte> bytes, out int length)
    {
        length = 0;
        switch (bytes[0])
        {
            case 0xc4 when bytes.Length >= 2:
                length = bytes[1];
                return 2;
            case 0xc5 when bytes.Length >= 3:
                length = BinaryPrimitives.ReadUInt16BigEndian(bytes[1..]);
                return 3;
            case 0xc6 when bytes.Length >= 5:
                length = BinaryPrimitives.ReadInt32BigEndian(bytes[1..]);
                return length >= 0 ? 5 : 0;
            default:
                return 0;
        }
    }

}
