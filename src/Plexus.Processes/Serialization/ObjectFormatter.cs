using System.Buffers;
using System.Collections;
using MessagePack;
using MessagePack.Formatters;

namespace Plexus.Processes.Serialization;

/// <summary>
/// Writes <c>object</c>-typed values so that they come back as the same .NET type, without a
/// type name in the payload: a closed set of types, each known by a small number. <c>int</c>,
/// <c>string</c>, <c>bool</c>, <c>double</c>, <c>float</c>, <c>null</c>, <c>byte[]</c>,
/// <c>object?[]</c> and dictionaries use MessagePack's own encodings; the other primitives use an
/// extension tag. Any other type under <c>object</c> is refused, because rebuilding it would need
/// its name: declare the type instead (a typed argument, a typed queue) and it travels as itself.
/// </summary>
internal sealed class ObjectFormatter : IMessagePackFormatter<object?>
{
    public static readonly ObjectFormatter Instance = new();

    // Extension tags; the payload of each is the value in MessagePack's own encoding.
    private const sbyte TagLong = 40, TagUInt = 41, TagULong = 42, TagShort = 43, TagUShort = 44,
        TagByte = 45, TagSByte = 46, TagChar = 47, TagDecimal = 48, TagGuid = 49, TagDateTime = 50,
        TagDateTimeOffset = 51, TagTimeSpan = 52, TagList = 53, TagHalf = 54, TagDateOnly = 55,
        TagTimeOnly = 56;

    public void Serialize(ref MessagePackWriter writer, object? value, MessagePackSerializerOptions options)
    {
        switch (value)
        {
            case null: writer.WriteNil(); return;
            case int i: writer.Write(i); return;
            case string s: writer.Write(s); return;
            case bool b: writer.Write(b); return;
            case double d: writer.Write(d); return;
            case float f: writer.Write(f); return;
            case byte[] bytes: writer.Write(bytes); return;
            case long l: Ext(ref writer, TagLong, 9).WriteInt64(l); return;
            case uint u: Ext(ref writer, TagUInt, 5).WriteUInt32(u); return;
            case ulong ul: Ext(ref writer, TagULong, 9).WriteUInt64(ul); return;
            case short sh: Ext(ref writer, TagShort, 3).WriteInt16(sh); return;
            case ushort us: Ext(ref writer, TagUShort, 3).WriteUInt16(us); return;
            case byte by: Ext(ref writer, TagByte, 2).WriteUInt8(by); return;
            case sbyte sb: Ext(ref writer, TagSByte, 2).WriteInt8(sb); return;
            case char c: Ext(ref writer, TagChar, 3).WriteUInt16(c); return;
            case Half h: Ext(ref writer, TagHalf, 5).Write((float)h); return;
            case decimal m:
            {
                Span<int> bits = stackalloc int[4];
                decimal.GetBits(m, bits);
                ref MessagePackWriter w = ref Ext(ref writer, TagDecimal, 20);
                foreach (int part in bits)
                {
                    w.WriteInt32(part);
                }
                return;
            }
            case Guid g:
            {
                Ext(ref writer, TagGuid, 16).WriteRaw(g.ToByteArray());
                return;
            }
            case DateTime dt: Ext(ref writer, TagDateTime, 9).WriteInt64(dt.ToBinary()); return;
            case DateTimeOffset dto:
            {
                ref MessagePackWriter w = ref Ext(ref writer, TagDateTimeOffset, 18);
                w.WriteInt64(dto.Ticks);
                w.WriteInt64(dto.Offset.Ticks);
                return;
            }
            case TimeSpan ts: Ext(ref writer, TagTimeSpan, 9).WriteInt64(ts.Ticks); return;
            case DateOnly dn: Ext(ref writer, TagDateOnly, 5).WriteInt32(dn.DayNumber); return;
            case TimeOnly tn: Ext(ref writer, TagTimeOnly, 9).WriteInt64(tn.Ticks); return;
            case object?[] array:
                writer.WriteArrayHeader(array.Length);
                foreach (object? item in array)
                {
                    Serialize(ref writer, item, options);
                }
                return;
            case IDictionary dictionary:
                writer.WriteMapHeader(dictionary.Count);
                foreach (DictionaryEntry entry in dictionary)
                {
                    Serialize(ref writer, entry.Key, options);
                    Serialize(ref writer, entry.Value, options);
                }
                return;
            case IList list:
                WriteList(ref writer, list, options);
                return;
            default:
                throw UnknownType(value.GetType());
        }
    }

    public object? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil: reader.ReadNil(); return null;
            case MessagePackType.Boolean: return reader.ReadBoolean();
            case MessagePackType.String or MessagePackType.Binary: return ReadStringOrBytes(ref reader);
            case MessagePackType.Float:
                return reader.NextCode == MessagePackCode.Float32 ? reader.ReadSingle() : reader.ReadDouble();
            case MessagePackType.Integer:
                return ReadInteger(ref reader);
            case MessagePackType.Array:
            {
                int count = reader.ReadArrayHeader();
                options.Security.DepthStep(ref reader);
                try
                {
                    object?[] array = new object?[count];
                    for (int i = 0; i < count; i++)
                    {
                        array[i] = Deserialize(ref reader, options);
                    }
                    return array;
                }
                finally
                {
                    reader.Depth--;
                }
            }
            case MessagePackType.Map:
            {
                int count = reader.ReadMapHeader();
                options.Security.DepthStep(ref reader);
                try
                {
                    var map = new Dictionary<object, object?>(Math.Min(count, 1024));
                    for (int i = 0; i < count; i++)
                    {
                        object key = Deserialize(ref reader, options)
                            ?? throw new MessagePackSerializationException("a dictionary key is null");
                        map[key] = Deserialize(ref reader, options);
                    }
                    return map;
                }
                finally
                {
                    reader.Depth--;
                }
            }
            case MessagePackType.Extension:
                return ReadExt(ref reader, options);
            default:
                throw new MessagePackSerializationException($"unexpected MessagePack type {reader.NextMessagePackType}");
        }
    }

    private static object? ReadStringOrBytes(ref MessagePackReader reader)
    {
        try
        {
            return reader.NextMessagePackType == MessagePackType.String ? reader.ReadString() : reader.ReadBytes()?.ToArray();
        }
        catch (ArgumentOutOfRangeException e)
        {
            // A str32 or bin32 length over 2 GiB reads as negative, which MessagePack's reader does not check.
            throw Malformed("string or byte array", e);
        }
    }

    /// <summary>
    /// An integer as Plexus writes it (an <c>int</c>; wider types carry a tag), or as the narrowest of
    /// <c>int</c>, <c>long</c>, <c>ulong</c> that holds it when another writer sent a plain wide integer.
    /// </summary>
    private static object ReadInteger(ref MessagePackReader reader)
    {
        if (reader.NextCode == MessagePackCode.UInt64)
        {
            ulong u = reader.ReadUInt64();
            return u <= int.MaxValue ? (int)u : u <= long.MaxValue ? (long)u : (object)u;
        }
        long value = reader.ReadInt64();
        return value is >= int.MinValue and <= int.MaxValue ? (int)value : (object)value;
    }

    private object? ReadExt(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        ExtensionHeader header = reader.ReadExtensionFormatHeader();
        MessagePackReader body = reader.Clone(reader.ReadRaw(header.Length));
        if (header.TypeCode == TagList)
        {
            int count = body.ReadArrayHeader();
            options.Security.DepthStep(ref body);
            var list = new List<object?>(Math.Min(count, 1024));
            for (int i = 0; i < count; i++)
            {
                list.Add(Deserialize(ref body, options));
            }
            return list;
        }
        try
        {
            return ReadTagged(header.TypeCode, ref body);
        }
        catch (Exception e) when (e is ArgumentException or OverflowException)
        {
            // A value no Plexus writer makes (a day number past DateOnly.MaxValue, a byte tag holding 300).
            throw Malformed($"extension tag {header.TypeCode}", e);
        }
    }

    private static object ReadTagged(sbyte tag, ref MessagePackReader body)
    {
        switch (tag)
        {
            case TagLong: return body.ReadInt64();
            case TagUInt: return body.ReadUInt32();
            case TagULong: return body.ReadUInt64();
            case TagShort: return body.ReadInt16();
            case TagUShort: return body.ReadUInt16();
            case TagByte: return body.ReadByte();
            case TagSByte: return body.ReadSByte();
            case TagChar: return body.ReadChar();
            case TagHalf: return (Half)body.ReadSingle();
            case TagDecimal: return new decimal([body.ReadInt32(), body.ReadInt32(), body.ReadInt32(), body.ReadInt32()]);
            case TagGuid: return new Guid(body.ReadRaw(16).ToArray());
            case TagDateTime: return DateTime.FromBinary(body.ReadInt64());
            case TagDateTimeOffset:
            {
                long ticks = body.ReadInt64();
                return new DateTimeOffset(ticks, new TimeSpan(body.ReadInt64()));
            }
            case TagTimeSpan: return new TimeSpan(body.ReadInt64());
            case TagDateOnly: return DateOnly.FromDayNumber(body.ReadInt32());
            case TagTimeOnly: return new TimeOnly(body.ReadInt64());
            default:
                throw new MessagePackSerializationException($"unknown extension tag {tag} in an object-typed value");
        }
    }

    private static MessagePackSerializationException Malformed(string what, Exception e) => new(
        $"an object-typed value's {what} holds an invalid value ({e.Message}); the payload is damaged or was not written by Plexus");

    private void WriteList(ref MessagePackWriter writer, IList list, MessagePackSerializerOptions options)
    {
        var inner = new ArrayBufferWriter<byte>();
        var body = writer.Clone(inner);
        body.WriteArrayHeader(list.Count);
        foreach (object? item in list)
        {
            Serialize(ref body, item, options);
        }
        body.Flush();
        writer.WriteExtensionFormatHeader(new ExtensionHeader(TagList, inner.WrittenCount));
        writer.WriteRaw(inner.WrittenSpan);
    }

    private static ref MessagePackWriter Ext(ref MessagePackWriter writer, sbyte tag, int length)
    {
        writer.WriteExtensionFormatHeader(new ExtensionHeader(tag, length));
        return ref writer;
    }

    internal static MessagePackSerializationException UnknownType(Type type) => typeof(IProcessShareable).IsAssignableFrom(type)
        ? new($"a {type.Name} stands where the declared type is object (an object-typed message, or a value stored in a manager), where " +
              $"it cannot travel; declare it as {type.Name} (a parameter, Send<{type.Name}>, a ProcessQueue<{type.Name}>) or pass it as a ChildProcess.Start argument")
        : new(
        $"a value of type {type} stands where the declared type is object; Plexus rebuilds object-typed values only " +
        "for primitives, strings, byte[], object[], lists and dictionaries, because anything else would need its " +
        $"type name in the payload. Declare the type where the value travels (e.g. a {type.Name} parameter or a typed queue).");
}
