using System.Buffers;
using MessagePack;
using Plexus.Processes.Serialization;

namespace Plexus.Processes.Hosting;

/// <summary>
/// Reads the argument types a launch carries most (a pipe end, bytes, text, numbers) straight off
/// the MessagePack bytes, the same values the serializer would give. The serializer's first use
/// builds its resolvers, tens of milliseconds of a new process's start; a pool worker (a pipe end
/// and bytes) never needs it.
/// </summary>
internal static class LaunchArguments
{
    public static bool TryRead(Type type, ReadOnlyMemory<byte> bytes, HandleTable handles, out object? value)
    {
        value = null;
        if (!IsPlain(type))
        {
            return false;
        }
        var reader = new MessagePackReader(bytes);
        if (type == typeof(Connection))
        {
            value = reader.TryReadNil() ? null : ReadShared<Connection>(ref reader, handles);
        }
        else if (type == typeof(byte[]))
        {
            value = reader.ReadBytes() is { } sequence ? sequence.ToArray() : null;
        }
        else if (type == typeof(string))
        {
            value = reader.ReadString();
        }
        else if (type == typeof(int))
        {
            value = reader.ReadInt32();
        }
        else if (type == typeof(long))
        {
            value = reader.ReadInt64();
        }
        else if (type == typeof(bool))
        {
            value = reader.ReadBoolean();
        }
        else
        {
            value = reader.ReadDouble();
        }
        if (!reader.End)
        {
            throw new InvalidDataException($"an argument of type {type} has {bytes.Length - reader.Consumed} bytes left over");
        }
        return true;
    }

    private static bool IsPlain(Type type) =>
        type == typeof(Connection) || type == typeof(byte[]) || type == typeof(string) || type == typeof(int)
        || type == typeof(long) || type == typeof(bool) || type == typeof(double);

    private static T ReadShared<T>(ref MessagePackReader reader, HandleTable handles) where T : IProcessShareable<T>
        => T.ReadShared(ref reader, handles);
}
