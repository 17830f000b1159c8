using System.Buffers;
using MessagePack;
using MessagePack.Formatters;

namespace Plexus.Processes.Serialization;

/// <summary>
/// Writes a shareable object (a pipe end, a queue, a lock, a manager proxy) so that it arrives
/// connected, wherever the payload goes.
/// </summary>
/// <remarks>
/// Where the payload carries descriptors (<see cref="PlexusSerializerOptions.Handles"/>: a launch, a
/// <see cref="Connection"/> frame) the object writes the indexes of its descriptors in that table.
/// Anywhere else its descriptors are left with the <see cref="ResourceSharer"/> and it is written as an
/// extension value: <c>[sender pid, sharer path, entry, token]</c> followed by the object's own fields,
/// which index the descriptors the receiver fetches. An object that has no descriptor (a manager
/// proxy: an address, a key and an id) is written as itself everywhere and reconnects where it lands.
/// </remarks>
internal sealed class ShareableFormatter<T> : IMessagePackFormatter<T> where T : IProcessShareable<T>
{
    /// <summary>The extension type of an object whose descriptors wait in its sender's resource sharer.</summary>
    private const sbyte SharerTag = 90;

    public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        if (PlexusSerializer.IsLeavingHost)
        {
            throw LeavingHost();
        }
        var plexus = options as PlexusSerializerOptions;
        if (plexus?.Handles is { } handles)
        {
            value.WriteShared(ref writer, handles);
            return;
        }
        WriteThroughSharer(ref writer, value, plexus?.Scope);
    }

    private static void WriteThroughSharer(ref MessagePackWriter writer, T value, ShareScope? scope)
    {
        if (scope is not null && scope.TryGet(value, out byte[]? written))
        {
            writer.WriteRaw(written);
            return;
        }
        var fields = new ArrayBufferWriter<byte>(64);
        var table = new HandleTable();
        try
        {
            MessagePackWriter inner = writer.Clone(fields);
            value.WriteShared(ref inner, table);
            inner.Flush();
        }
        catch
        {
            table.Dispose();
            throw;
        }
        if (table.Fds.Count == 0)
        {
            table.Dispose();
            writer.WriteRaw(fields.WrittenSpan);
            return;
        }
        // The sender keeps its own object (as in Python): nothing is moved, so the table's commit actions never run.
        ResourceSharer sharer = ResourceSharer.Instance;
        (long id, byte[] token) = sharer.Register(table, once: scope is null);
        var body = new ArrayBufferWriter<byte>(128 + fields.WrittenCount);
        MessagePackWriter origin = writer.Clone(body);
        origin.WriteArrayHeader(4);
        origin.Write(Environment.ProcessId);
        origin.Write(sharer.SocketPath);
        origin.Write(id);
        origin.Write(token);
        origin.WriteRaw(fields.WrittenSpan);
        origin.Flush();
        var whole = new ArrayBufferWriter<byte>(body.WrittenCount + 6);
        MessagePackWriter ext = writer.Clone(whole);
        ext.WriteExtensionFormatHeader(new ExtensionHeader(SharerTag, body.WrittenCount));
        ext.WriteRaw(body.WrittenSpan);
        ext.Flush();
        scope?.Add(value, id, whole.WrittenSpan.ToArray());
        writer.WriteRaw(whole.WrittenSpan);
    }

    public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return default!;
        }
        if (PlexusSerializer.IsLeavingHost)
        {
            throw LeavingHost();
        }
        if (reader.NextMessagePackType == MessagePackType.Extension)
        {
            return ReadThroughSharer(ref reader);
        }
        return T.ReadShared(ref reader, (options as PlexusSerializerOptions)?.Handles ?? HandleTable.None);
    }

    private static T ReadThroughSharer(ref MessagePackReader reader)
    {
        ExtensionHeader header = reader.ReadExtensionFormatHeader();
        if (header.TypeCode != SharerTag)
        {
            throw new MessagePackSerializationException($"a {typeof(T).Name} cannot be read from extension type {header.TypeCode}");
        }
        MessagePackReader body = reader.Clone(reader.ReadRaw(header.Length));
        if (body.ReadArrayHeader() != 4)
        {
            throw new MessagePackSerializationException("a shared object's origin is four fields");
        }
        int pid = body.ReadInt32();
        string path = body.ReadString() ?? "";
        long id = body.ReadInt64();
        byte[] token = body.ReadBytes()?.ToArray() ?? [];
        HandleTable handles = ResourceSharer.Fetch(pid, path, id, token, typeof(T).Name);
        try
        {
            return T.ReadShared(ref body, handles);
        }
        finally
        {
            handles.CloseUntaken();
        }
    }

    private static NotSerializableException LeavingHost() => new(typeof(T),
        "it stands for a resource of this host (a descriptor, or a manager's address and key) and cannot go through a store shared with other hosts such as Redis; send the data it holds, or use the Redis equivalent (RedisManager's dictionaries, lists and queues)");
}
