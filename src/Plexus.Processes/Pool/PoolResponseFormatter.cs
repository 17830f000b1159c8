using MessagePack;
using MessagePack.Formatters;

namespace Plexus.Processes;

/// <summary>Reads a <see cref="PoolResponse"/> without copying its payload.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1812", Justification = "Created by MessagePack's attribute resolver.")]
internal sealed class PoolResponseFormatter : IMessagePackFormatter<PoolResponse>
{
    /// <summary>The parent reads answers with this instance directly (no resolver on the path).</summary>
    public static readonly PoolResponseFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, PoolResponse value, MessagePackSerializerOptions options)
        => throw new NotSupportedException("the pool writes response frames itself");

    /// <exception cref="MessagePackSerializationException">The frame is malformed (the reader treats that as the worker's end).</exception>
    public PoolResponse Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        try
        {
            return Read(ref reader);
        }
        catch (Exception e) when (e is OverflowException or ArgumentException)
        {
            // Unlike MessagePack's entry points, a direct formatter call wraps nothing: without this, one corrupt
            // frame of a worker would escape the parent's reader thread and end the parent.
            throw new MessagePackSerializationException($"a worker sent a malformed response frame ({e.Message})");
        }
    }

    private static PoolResponse Read(ref MessagePackReader reader)
    {
        int fields = reader.ReadArrayHeader();
        var response = new PoolResponse { Id = reader.ReadInt64(), Status = reader.ReadInt32() };
        if (PoolResponse.IsError(response.Status))
        {
            if (fields != 5)
            {
                throw new MessagePackSerializationException("an error response is five values");
            }
            response.ErrorType = reader.ReadString();
            response.ErrorMessage = reader.ReadString();
            response.ErrorStack = reader.ReadString();
        }
        else if (fields == 3)
        {
            response.Payload = PoolWire.Bytes(ref reader);
        }
        return response;
    }
}
