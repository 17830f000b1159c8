using System.Buffers;
using MessagePack;
using Plexus.Processes.Serialization;

namespace Plexus.Processes.Hosting;

/// <summary>
/// Writes and reads the argument types a launch carries most (a pipe end or another process-shared
/// object, bytes, text, numbers) straight as MessagePack, the same bytes the serializer would give.
/// The serializer's first use builds its resolvers, tens of milliseconds of a new process's start (a
/// pool worker, a pipe end and bytes, never needs it); and in a NativeAOT app the serializer's
/// per-type generic code exists only for types the compiler saw, which a value type named at run time
/// by a target's parameter is not.
/// </summary>
internal static class LaunchArguments
{
    /// <summary>Writes <paramref name="value"/> declared as <paramref name="type"/>; <c>false</c> when it is not one of these types.</summary>
    public static bool TryWrite(Type type, object? value, IBufferWriter<byte> buffer, HandleTable handles)
    {
        if (!IsPrimitive(type) && type != typeof(string) && type != typeof(byte[]) && !(value is IProcessShareable && value.GetType() == type))
        {
            return false;
        }
        var writer = new MessagePackWriter(buffer);
        switch (value)
        {
            case null: writer.WriteNil(); break;
            case IProcessShareable shared: shared.WriteShared(ref writer, handles); break;
            case string s: writer.Write(s); break;
            case byte[] b: writer.Write(b); break;
            case int i: writer.Write(i); break;
            case long l: writer.Write(l); break;
            case bool b: writer.Write(b); break;
            case double d: writer.Write(d); break;
            case float f: writer.Write(f); break;
            case short s: writer.Write(s); break;
            case byte b: writer.Write(b); break;
            case sbyte s: writer.Write(s); break;
            case ushort u: writer.Write(u); break;
            case uint u: writer.Write(u); break;
            case ulong u: writer.Write(u); break;
            case char c: writer.Write(c); break;
            default: return false;
        }
        writer.Flush();
        return true;
    }

    public static bool TryRead(Type type, ReadOnlyMemory<byte> bytes, HandleTable handles, out object? value)
    {
        value = null;
        if (type != typeof(Connection) && type != typeof(byte[]) && type != typeof(string) && !IsPrimitive(type))
        {
            return false;
        }
        var reader = new MessagePackReader(bytes);
        value = type == typeof(Connection) ? (reader.TryReadNil() ? null : ReadShared<Connection>(ref reader, handles))
            : type == typeof(byte[]) ? (reader.ReadBytes() is { } sequence ? sequence.ToArray() : null)
            : type == typeof(string) ? reader.ReadString()
            : type == typeof(int) ? reader.ReadInt32()
            : type == typeof(long) ? reader.ReadInt64()
            : type == typeof(bool) ? reader.ReadBoolean()
            : type == typeof(double) ? reader.ReadDouble()
            : type == typeof(float) ? reader.ReadSingle()
            : type == typeof(short) ? reader.ReadInt16()
            : type == typeof(byte) ? reader.ReadByte()
            : type == typeof(sbyte) ? reader.ReadSByte()
            : type == typeof(ushort) ? reader.ReadUInt16()
            : type == typeof(uint) ? reader.ReadUInt32()
            : type == typeof(ulong) ? reader.ReadUInt64()
            : (object)reader.ReadChar();
        if (!reader.End)
        {
            throw new InvalidDataException($"an argument of type {type} has {bytes.Length - reader.Consumed} bytes left over");
        }
        return true;
    }

    private static bool IsPrimitive(Type type) => type.IsPrimitive && type != typeof(IntPtr) && type != typeof(UIntPtr);

    private static T ReadShared<T>(ref MessagePackReader reader, HandleTable handles) where T : IProcessShareable<T>
        => T.ReadShared(ref reader, handles);
}
