using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MessagePack;

namespace Plexus.Processes;

/// <summary>
/// The pool's wire format, written by hand (no reflection-emitted formatters, which cost a new
/// process tens of milliseconds to generate). A parent → worker frame is a MessagePack array of
/// requests, five values each: id, target id, payload kind, target descriptor (nil once the worker
/// knows the target) and payload (bin); an empty array tells the worker to stop. A worker → parent
/// frame is one <see cref="PoolResponse"/>.
/// </summary>
internal static class PoolWire
{
    /// <summary>Payload: <c>[[args of call 1], [args of call 2], ...]</c>, each argument by its declared parameter type.</summary>
    public const byte Calls = 0;

    /// <summary>Payload: <c>[item, item, ...]</c> of a one-parameter target, each by the parameter type (a map chunk).</summary>
    public const byte Items = 1;

    /// <summary>Payload: the raw memory of a chunk of primitive items (same program, same layout on both ends).</summary>
    public const byte RawItems = 2;

    /// <summary>Response: the results as a MessagePack array, each by the return type.</summary>
    public const int Results = 0;

    /// <summary>Response: the raw memory of the results (primitive return type, typed chunk).</summary>
    public const int RawResults = 1;

    /// <summary>Response: the task threw.</summary>
    public const int Error = 2;

    /// <summary>Response (id 0): the worker has run its initializer and waits for tasks.</summary>
    public const int Ready = 3;

    /// <summary>Response (id 0): the worker's initializer threw (error fields as <see cref="Error"/>); the worker exits.</summary>
    public const int InitializerFailed = 4;

    /// <summary>Whether values of <paramref name="type"/> may travel as raw memory.</summary>
    public static bool IsRaw(Type type) => type.IsPrimitive || type.IsEnum;

    public static void WriteTarget(ref MessagePackWriter writer, Target target)
    {
        writer.WriteArrayHeader(5);
        writer.Write(target.AssemblyName);
        writer.Write(target.ModuleVersionId.ToByteArray());
        writer.Write(target.MetadataToken);
        writer.Write(target.DisplayName);
        writer.Write(target.Signature);
    }

    public static Target? ReadTarget(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        if (reader.ReadArrayHeader() != 5)
        {
            throw new MessagePackSerializationException("a pool target is five values");
        }
        string assembly = reader.ReadString() ?? "";
        Guid mvid = new(Bytes(ref reader).Span);
        int token = reader.ReadInt32();
        string display = reader.ReadString() ?? "";
        return new Target(assembly, mvid, token, display, reader.ReadString());
    }

    /// <summary>A bin value as memory: a slice of the frame when it is contiguous (always, for a <see cref="Connection"/>).</summary>
    public static ReadOnlyMemory<byte> Bytes(ref MessagePackReader reader)
    {
        ReadOnlySequence<byte> bytes = reader.ReadBytes() ?? default;
        return bytes.IsSingleSegment ? bytes.First : bytes.ToArray();
    }

    /// <summary>The setup a worker starts with: nil, or the initializer and its encoded arguments.</summary>
    public static byte[] EncodeSetup(Target? initializer, byte[] arguments)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        var writer = new MessagePackWriter(buffer);
        if (initializer is null)
        {
            writer.WriteNil();
        }
        else
        {
            writer.WriteArrayHeader(2);
            WriteTarget(ref writer, initializer);
            writer.Write(arguments);
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static (Target? Initializer, ReadOnlyMemory<byte> Arguments) DecodeSetup(byte[] setup)
    {
        var reader = new MessagePackReader(setup);
        if (reader.TryReadNil())
        {
            return (null, default);
        }
        reader.ReadArrayHeader();
        Target? target = ReadTarget(ref reader);
        return (target, Bytes(ref reader));
    }

    /// <summary>The raw memory of <paramref name="values"/> (an unmanaged type; see <see cref="IsRaw"/>).</summary>
    public static byte[] WriteRaw<T>(ReadOnlySpan<T> values)
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            throw new InvalidOperationException($"{typeof(T)} is not raw data");
        }
        byte[] bytes = new byte[values.Length * Unsafe.SizeOf<T>()];
        if (bytes.Length > 0)
        {
            Unsafe.CopyBlockUnaligned(ref bytes[0], ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(values)), (uint)bytes.Length);
        }
        return bytes;
    }
}
