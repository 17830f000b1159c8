using MessagePack;

namespace Plexus.Processes;

/// <summary>
/// Worker → parent: the results of one task, the exception it threw, or (id 0) whether the worker
/// ran its initializer (<see cref="PoolWire.Ready"/>, or <see cref="PoolWire.InitializerFailed"/> with the error).
/// </summary>
[MessagePackFormatter(typeof(PoolResponseFormatter))]
internal sealed class PoolResponse
{
    public long Id { get; set; }
    public int Status { get; set; }
    // Valid until the next receive on the connection (a slice of its buffer).
    public ReadOnlyMemory<byte> Payload { get; set; }
    public string? ErrorType { get; set; }
    public string? ErrorMessage { get; set; }
    public string? ErrorStack { get; set; }

    /// <summary>The size of the fixed-width head <see cref="WriteHeader"/> writes.</summary>
    public const int HeaderSize = 16;

    /// <summary>Whether a response with <paramref name="status"/> carries an exception's type, message and stack.</summary>
    public static bool IsError(int status) => status is PoolWire.Error or PoolWire.InitializerFailed;

    /// <summary>
    /// Writes <c>[id, status, bin(payload)]</c>'s head in fixed widths (int64, fixint, bin32; valid
    /// MessagePack), so it can be filled in after the payload was written behind it.
    /// </summary>
    public static void WriteHeader(Span<byte> head, long id, int status, int payloadLength)
    {
        head[0] = 0x93;
        head[1] = 0xd3;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(head[2..], id);
        head[10] = checked((byte)status);
        head[11] = 0xc6;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(head[12..], payloadLength);
    }

    public static void Write(ref MessagePackWriter writer, long id, int status, ReadOnlySpan<byte> payload)
    {
        writer.WriteArrayHeader(3);
        writer.Write(id);
        writer.Write(status);
        writer.Write(payload);
    }

    /// <param name="writer">Where the response goes.</param>
    /// <param name="id">The task's id (0 for the initializer).</param>
    /// <param name="status"><see cref="PoolWire.Error"/> or <see cref="PoolWire.InitializerFailed"/>.</param>
    /// <param name="error">What was thrown.</param>
    public static void WriteError(ref MessagePackWriter writer, long id, int status, Exception error)
    {
        System.Diagnostics.Debug.Assert(IsError(status));
        writer.WriteArrayHeader(5);
        writer.Write(id);
        writer.Write(status);
        writer.Write(error.GetType().FullName);
        writer.Write(error.Message);
        writer.Write(error.ToString());
    }
}
