using MessagePack;
using MessagePack.Formatters;

namespace Plexus.Processes.Serialization;

internal sealed class ShareableFormatter<T> : IMessagePackFormatter<T> where T : IProcessShareable<T>
{
    public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        HandleTable handles = (options as PlexusSerializerOptions)?.Handles ?? throw NoHandles();
        value.WriteShared(ref writer, handles);
    }

    public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return default!;
        }
        HandleTable handles = (options as PlexusSerializerOptions)?.Handles ?? throw NoHandles();
        return T.ReadShared(ref reader, handles);
    }

    private static NotSerializableException NoHandles() => new(typeof(T),
        "it stands for a kernel resource and travels only as an argument of ChildProcess.Start (or through " +
        "a Plexus channel that carries descriptors)");
}
