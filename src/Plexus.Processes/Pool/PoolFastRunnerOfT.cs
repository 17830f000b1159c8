using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MessagePack;
using MessagePack.Formatters;
using Plexus.Processes.Serialization;

namespace Plexus.Processes;

/// <summary>A <see cref="PoolFastRunner"/> for a <see cref="Func{T1, TResult}"/>.</summary>
internal sealed class PoolFastRunner<T1, TResult>(Func<T1, TResult> func) : PoolFastRunner
{
    private static readonly bool s_rawIn = PoolWire.IsRaw(typeof(T1));
    private static readonly bool s_rawOut = PoolWire.IsRaw(typeof(TResult));

    // MessagePack's formatters of primitives and strings never read the options, so a worker whose tasks
    // take and return only those never builds them: their first use costs a new process ~5 ms (MessagePack's
    // security settings load the cryptography assembly for a hash seed), on the first task's path.
    // Looked up once per type pair, not per frame (a frame is often one task).
    private static readonly IMessagePackFormatter<T1>? s_plainIn = PrimitiveFormatters.For(typeof(T1)) as IMessagePackFormatter<T1>;
    private static readonly IMessagePackFormatter<TResult>? s_plainOut = PrimitiveFormatters.For(typeof(TResult)) as IMessagePackFormatter<TResult>;

    private static MessagePackSerializerOptions? Options => s_plainIn is not null && s_plainOut is not null ? null : PlexusSerializer.Options;

    /// <summary>The formatters the serializer's resolver would give (the plain ones first, as it does), without the options where they are plain.</summary>
    private static IMessagePackFormatter<T1> InputFormatter(MessagePackSerializerOptions? options) => s_plainIn ?? options!.Resolver.GetFormatterWithVerify<T1>();

    private static IMessagePackFormatter<TResult> OutputFormatter(MessagePackSerializerOptions? options) => s_plainOut ?? options!.Resolver.GetFormatterWithVerify<TResult>();

    public override void Run(ref MessagePackReader reader, ref MessagePackWriter writer, int calls)
    {
        MessagePackSerializerOptions? options = Options;
        IMessagePackFormatter<T1> input = InputFormatter(options);
        IMessagePackFormatter<TResult> output = OutputFormatter(options);
        for (int c = 0; c < calls; c++)
        {
            if (reader.ReadArrayHeader() != 1)
            {
                throw new ArgumentException($"{func.Method.Name} takes 1 argument");
            }
            T1 argument;
            try
            {
                argument = input.Deserialize(ref reader, options!);
            }
            catch (Exception e) when (e is not MessagePackSerializationException)
            {
                throw new MessagePackSerializationException($"Failed to deserialize {typeof(T1)} value.", e);
            }
            Write(ref writer, output, func(argument), options);
        }
    }

    public override int RunChunk(byte kind, ReadOnlyMemory<byte> payload, ArrayBufferWriter<byte> output)
    {
        MessagePackSerializerOptions? options = Options;
        if (kind != PoolWire.RawItems)
        {
            return RunItems(new ArrayChunk(ReadItems(payload, options)), output, options);
        }
        if (!s_rawIn)
        {
            throw new InvalidDataException($"{typeof(T1)} cannot arrive as raw memory");
        }
        ReadOnlySpan<byte> bytes = payload.Span;
        if (bytes.Length % Unsafe.SizeOf<T1>() != 0)
        {
            throw new InvalidDataException($"a raw chunk of {typeof(T1)} has {bytes.Length} bytes");
        }
        // Items read in place from the frame: no copy of the chunk, no array.
        return RunItems(new RawChunk(bytes), output, options);
    }

    private static T1[] ReadItems(ReadOnlyMemory<byte> payload, MessagePackSerializerOptions? options)
    {
        var reader = new MessagePackReader(payload);
        var items = new T1[reader.ReadArrayHeader()];
        IMessagePackFormatter<T1> input = InputFormatter(options);
        try
        {
            for (int i = 0; i < items.Length; i++)
            {
                items[i] = input.Deserialize(ref reader, options!);
            }
        }
        catch (Exception e) when (e is not MessagePackSerializationException)
        {
            throw new MessagePackSerializationException($"Failed to deserialize {typeof(T1)} value.", e);
        }
        return items;
    }

    /// <summary>Runs every item of a chunk, its results as raw memory (primitive results) or a MessagePack array.</summary>
    /// <returns>The response status: <see cref="PoolWire.Results"/> or <see cref="PoolWire.RawResults"/>.</returns>
    private int RunItems<TChunk>(TChunk chunk, ArrayBufferWriter<byte> output, MessagePackSerializerOptions? options)
        where TChunk : IChunk, allows ref struct
    {
        int count = chunk.Count;
        if (s_rawOut)
        {
            int size = Unsafe.SizeOf<TResult>();
            Span<byte> destination = output.GetSpan(Math.Max(1, count * size));
            ref byte start = ref MemoryMarshal.GetReference(destination);
            for (int i = 0; i < count; i++)
            {
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref start, i * size), func(chunk.Item(i)));
            }
            output.Advance(count * size);
            return PoolWire.RawResults;
        }
        var writer = new MessagePackWriter(output);
        IMessagePackFormatter<TResult> formatter = OutputFormatter(options);
        writer.WriteArrayHeader(count);
        for (int i = 0; i < count; i++)
        {
            Write(ref writer, formatter, func(chunk.Item(i)), options);
        }
        writer.Flush();
        return PoolWire.Results;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Write(ref MessagePackWriter writer, IMessagePackFormatter<TResult> formatter, TResult value, MessagePackSerializerOptions? options)
    {
        try
        {
            formatter.Serialize(ref writer, value, options!);
        }
        catch (Exception e) when (e is not MessagePackSerializationException)
        {
            // As MessagePackSerializer.Serialize reports it, so the worker names the task and the type.
            throw new MessagePackSerializationException($"Failed to serialize {typeof(TResult)} value.", e);
        }
    }

    /// <summary>A chunk's items by index (a struct, so <see cref="RunItems"/> is compiled for each kind and the access inlines).</summary>
    private interface IChunk
    {
        int Count { get; }

        T1 Item(int index);
    }

    /// <summary>Items in the frame's raw memory (possibly unaligned: read one by one).</summary>
    private readonly ref struct RawChunk : IChunk
    {
        private readonly ReadOnlySpan<byte> _bytes;

        public RawChunk(ReadOnlySpan<byte> bytes) => _bytes = bytes;

        public int Count => _bytes.Length / Unsafe.SizeOf<T1>();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public T1 Item(int index) => Unsafe.ReadUnaligned<T1>(ref Unsafe.Add(ref MemoryMarshal.GetReference(_bytes), index * Unsafe.SizeOf<T1>()));
    }

    /// <summary>Items deserialized from a MessagePack array.</summary>
    private readonly struct ArrayChunk(T1[] items) : IChunk
    {
        public int Count => items.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public T1 Item(int index) => items[index];
    }
}
