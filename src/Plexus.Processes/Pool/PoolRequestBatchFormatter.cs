using MessagePack;
using MessagePack.Formatters;

namespace Plexus.Processes;

/// <summary>Reads a <see cref="PoolRequestBatch"/> (the parent writes it directly into its send buffer).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1812", Justification = "Created by MessagePack's attribute resolver.")]
internal sealed class PoolRequestBatchFormatter : IMessagePackFormatter<PoolRequestBatch>
{
    /// <summary>The worker reads its frames with this instance directly: resolving it through MessagePack costs a new process ~40 ms.</summary>
    public static readonly PoolRequestBatchFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, PoolRequestBatch value, MessagePackSerializerOptions options)
        => throw new NotSupportedException("the pool writes request frames itself");

    /// <exception cref="MessagePackSerializationException">The frame is malformed.</exception>
    public PoolRequestBatch Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        try
        {
            return Read(ref reader);
        }
        catch (Exception e) when (e is OverflowException or ArgumentException)
        {
            // A direct formatter call wraps nothing: say what failed, as MessagePack's entry points would.
            throw new MessagePackSerializationException($"the pool sent a malformed request frame ({e.Message})");
        }
    }

    private static PoolRequestBatch Read(ref MessagePackReader reader)
    {
        var batch = new PoolRequestBatch();
        int count = reader.ReadArrayHeader();
        for (int i = 0; i < count; i++)
        {
            batch.Requests.Add(new PoolRequest
            {
                Id = reader.ReadInt64(),
                TargetId = reader.ReadInt32(),
                Kind = reader.ReadByte(),
                Target = PoolWire.ReadTarget(ref reader),
                Payload = PoolWire.Bytes(ref reader),
            });
        }
        return batch;
    }
}
