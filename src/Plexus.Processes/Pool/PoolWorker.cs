using System.Buffers;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MessagePack;
using MessagePack.Formatters;
using Plexus.Processes.Serialization;

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

    /// <summary>Whether values of <paramref name="type"/> may travel as raw memory.</summary>
    public static bool IsRaw(Type type) => type.IsPrimitive || type.IsEnum;

    public static void WriteTarget(ref MessagePackWriter writer, Target target)
    {
        writer.WriteArrayHeader(4);
        writer.Write(target.AssemblyName);
        writer.Write(target.ModuleVersionId.ToByteArray());
        writer.Write(target.MetadataToken);
        writer.Write(target.DisplayName);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Target? ReadTarget(ref MessagePackReader reader)
    {
        if (reader.TryReadNil())
        {
            return null;
        }
        if (reader.ReadArrayHeader() != 4)
        {
            throw new MessagePackSerializationException("a pool target is four values");
        }
        string assembly = reader.ReadString() ?? "";
        Guid mvid = new(Bytes(ref reader).Span);
        int token = reader.ReadInt32();
        string display = reader.ReadString() ?? "";
        return new Target(assembly, mvid, token, display);
    }

    /// <summary>A bin value as memory: a slice of the frame when it is contiguous (always, for a <see cref="Connection"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    /// <summary>
    /// Reinterprets <paramref name="bytes"/> as values of an unmanaged
    /// <typeparamref name="T"/> (checked by the callers with <see cref="IsRaw"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T[] ReadRaw<T>(ReadOnlySpan<byte> bytes)
    {
        int size = Unsafe.SizeOf<T>();
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>() || bytes.Length % size != 0)
        {
            throw new InvalidDataException($"a raw chunk of {typeof(T)} has {bytes.Length} bytes");
        }
        var values = new T[bytes.Length / size];
        if (values.Length > 0)
        {
            Unsafe.CopyBlockUnaligned(ref Unsafe.As<T, byte>(ref values[0]), ref MemoryMarshal.GetReference(bytes), (uint)bytes.Length);
        }
        return values;
    }

    /// <summary>The raw memory of <paramref name="values"/> (an unmanaged type; see <see cref="IsRaw"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

/// <summary>Parent → worker: one task (a batch of calls or items of one target), as read by the worker.</summary>
internal sealed class PoolRequest
{
    public long Id { get; set; }
    public int TargetId { get; set; }
    public byte Kind { get; set; }
    // Set only the first time a worker sees a target, so later tasks refer to it by id alone.
    public Target? Target { get; set; }
    // Valid until the worker's next receive (a slice of the connection's buffer).
    public ReadOnlyMemory<byte> Payload { get; set; }
}

/// <summary>A parent → worker frame: the requests sent together (none: stop).</summary>
[MessagePackFormatter(typeof(PoolRequestBatchFormatter))]
internal sealed class PoolRequestBatch
{
    public List<PoolRequest> Requests { get; } = [];
}

/// <summary>Reads a <see cref="PoolRequestBatch"/> (the parent writes it directly into its send buffer).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1812", Justification = "Created by MessagePack's attribute resolver.")]
internal sealed class PoolRequestBatchFormatter : IMessagePackFormatter<PoolRequestBatch>
{
    /// <summary>The worker reads its frames with this instance directly: resolving it through MessagePack costs a new process ~40 ms.</summary>
    public static readonly PoolRequestBatchFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, PoolRequestBatch value, MessagePackSerializerOptions options)
        => throw new NotSupportedException("the pool writes request frames itself");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public PoolRequestBatch Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
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

/// <summary>Worker → parent: the results of one task, the exception it threw, or (id 0) that the worker is ready.</summary>
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Write(ref MessagePackWriter writer, long id, int status, ReadOnlySpan<byte> payload)
    {
        writer.WriteArrayHeader(3);
        writer.Write(id);
        writer.Write(status);
        writer.Write(payload);
    }

    public static void WriteError(ref MessagePackWriter writer, long id, Exception error)
    {
        writer.WriteArrayHeader(5);
        writer.Write(id);
        writer.Write(PoolWire.Error);
        writer.Write(error.GetType().FullName);
        writer.Write(error.Message);
        writer.Write(error.ToString());
    }
}

/// <summary>Reads a <see cref="PoolResponse"/> without copying its payload.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1812", Justification = "Created by MessagePack's attribute resolver.")]
internal sealed class PoolResponseFormatter : IMessagePackFormatter<PoolResponse>
{
    /// <summary>The parent reads answers with this instance directly (no resolver on the path).</summary>
    public static readonly PoolResponseFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, PoolResponse value, MessagePackSerializerOptions options)
        => throw new NotSupportedException("the pool writes response frames itself");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public PoolResponse Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        int fields = reader.ReadArrayHeader();
        var response = new PoolResponse { Id = reader.ReadInt64(), Status = reader.ReadInt32() };
        if (response.Status == PoolWire.Error)
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

/// <summary>
/// The loop a <see cref="ProcessPool"/> worker process runs: tasks arrive in order on its pipe and
/// are answered in the same order, each as soon as it is done, so the parent knows the oldest
/// unanswered task is the running one.
/// </summary>
internal static class PoolWorker
{
    /// <summary>The worker's target (a static method, so a child process can run it).</summary>
    public static void Run(Connection connection, byte[] setup)
    {
        var targets = new Dictionary<int, (MethodInfo Method, object? Instance, Type[] Parameters, FastRunner? Fast)>();
        MessagePackSerializerOptions options = PlexusSerializer.Options;
        (Target? initializer, ReadOnlyMemory<byte> initArguments) = PoolWire.DecodeSetup(setup);
        if (initializer is not null)
        {
            // An initializer that throws ends the worker, as in Python; the parent sees it exit.
            (MethodInfo method, object? instance) = initializer.Resolve();
            Type[] types = method.GetParameters().Select(p => p.ParameterType).ToArray();
            var reader = new MessagePackReader(initArguments);
            int count = reader.ReadArrayHeader();
            object?[] args = new object?[count];
            for (int i = 0; i < count; i++)
            {
                args[i] = MessagePackSerializer.Deserialize(types[i], ref reader, options);
            }
            InvokeUnwrapped(method, instance, args);
        }
        var output = new ArrayBufferWriter<byte>(256);
        var frame = new ArrayBufferWriter<byte>(256);
        Send(connection, frame, 0, PoolWire.Ready, default);
        while (true)
        {
            PoolRequestBatch batch;
            try
            {
                batch = connection.Receive(PoolRequestBatchFormatter.Instance);
            }
            catch (EndOfStreamException)
            {
                return;
            }
            if (batch.Requests.Count == 0)
            {
                connection.Dispose();
                return;
            }
            Handle(connection, batch, targets, output, frame, options);
        }
    }

    /// <summary>Runs a frame's tasks in order, answering each as soon as it is done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Handle(Connection connection, PoolRequestBatch batch, Dictionary<int, (MethodInfo Method, object? Instance, Type[] Parameters, FastRunner? Fast)> targets,
        ArrayBufferWriter<byte> output, ArrayBufferWriter<byte> frame, MessagePackSerializerOptions options)
    {
        foreach (PoolRequest request in batch.Requests)
        {
            int status;
            try
            {
                if (!targets.TryGetValue(request.TargetId, out var entry))
                {
                    Target target = request.Target ?? throw new InvalidDataException($"the pool sent task {request.Id} for an unknown target {request.TargetId}");
                    (MethodInfo method, object? instance) = target.Resolve();
                    entry = (method, instance, method.GetParameters().Select(p => p.ParameterType).ToArray(), FastRunner.TryCreate(method, instance));
                    targets[request.TargetId] = entry;
                }
                output.ResetWrittenCount();
                output.Advance(PoolResponse.HeaderSize); // filled in below: the answer leaves from this buffer, uncopied
                status = Execute(entry.Method, entry.Instance, entry.Parameters, entry.Fast, request.Kind, request.Payload, output, options);
            }
            catch (Exception e)
            {
                frame.ResetWrittenCount();
                var writer = new MessagePackWriter(frame);
                PoolResponse.WriteError(ref writer, request.Id, e);
                writer.Flush();
                connection.SendBytes(frame.WrittenSpan);
                continue;
            }
            // Each answer leaves at once: if the next task kills the worker, this one is not lost.
            Span<byte> answer = MemoryMarshal.AsMemory(output.WrittenMemory).Span;
            PoolResponse.WriteHeader(answer, request.Id, status, answer.Length - PoolResponse.HeaderSize);
            connection.SendBytes(answer);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Send(Connection connection, ArrayBufferWriter<byte> frame, long id, int status, ReadOnlySpan<byte> payload)
    {
        frame.ResetWrittenCount();
        var writer = new MessagePackWriter(frame);
        PoolResponse.Write(ref writer, id, status, payload);
        writer.Flush();
        connection.SendBytes(frame.WrittenSpan);
    }

    /// <returns>The response status: <see cref="PoolWire.Results"/> or <see cref="PoolWire.RawResults"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Execute(MethodInfo method, object? instance, Type[] parameters, FastRunner? fast, byte kind, ReadOnlyMemory<byte> payload,
        ArrayBufferWriter<byte> output, MessagePackSerializerOptions options)
    {
        if (kind != PoolWire.Calls)
        {
            if (fast is null)
            {
                throw new InvalidOperationException($"{method.DeclaringType?.FullName}.{method.Name} cannot take a typed chunk");
            }
            try
            {
                return fast.RunChunk(kind, payload, output, options);
            }
            catch (MessagePackSerializationException e)
            {
                throw ResultNotSerializable(method, method.ReturnType, e);
            }
        }
        var reader = new MessagePackReader(payload);
        var writer = new MessagePackWriter(output);
        int calls = reader.ReadArrayHeader();
        writer.WriteArrayHeader(calls);
        if (fast is not null)
        {
            try
            {
                fast.Run(ref reader, ref writer, calls, options);
            }
            catch (MessagePackSerializationException e)
            {
                throw ResultNotSerializable(method, method.ReturnType, e);
            }
            writer.Flush();
            return PoolWire.Results;
        }
        object?[] args = new object?[parameters.Length];
        Type returnType = method.ReturnType;
        for (int c = 0; c < calls; c++)
        {
            int count = reader.ReadArrayHeader();
            for (int i = 0; i < count; i++)
            {
                args[i] = MessagePackSerializer.Deserialize(parameters[i], ref reader, options);
            }
            object? result = InvokeUnwrapped(method, instance, args);
            if (returnType == typeof(void))
            {
                writer.WriteNil();
                continue;
            }
            try
            {
                MessagePackSerializer.Serialize(returnType, ref writer, result, options);
            }
            catch (MessagePackSerializationException e)
            {
                throw ResultNotSerializable(method, result?.GetType() ?? returnType, e);
            }
        }
        writer.Flush();
        return PoolWire.Results;
    }

    private static NotSerializableException ResultNotSerializable(MethodInfo method, Type type, MessagePackSerializationException e) => new(type,
        $"the task {method.DeclaringType?.FullName}.{method.Name} returned a value that cannot be sent back to the parent: {(e.InnerException ?? e).Message}. " +
        "Return plain data (primitives, strings, arrays, lists, dictionaries, records) instead");

    /// <summary>
    /// Runs one-argument tasks through a typed delegate: no reflection call, no boxing, generic
    /// (de)serialization per item, raw memory for primitive chunks. This is what makes map fast.
    /// </summary>
    private abstract class FastRunner
    {
        public abstract void Run(ref MessagePackReader reader, ref MessagePackWriter writer, int calls, MessagePackSerializerOptions options);

        public abstract int RunChunk(byte kind, ReadOnlyMemory<byte> payload, ArrayBufferWriter<byte> output, MessagePackSerializerOptions options);

        public static FastRunner? TryCreate(MethodInfo method, object? instance)
        {
            ParameterInfo[] parameters = method.GetParameters();
            if (parameters.Length != 1 || method.ReturnType == typeof(void) || method.ReturnType.IsByRef || parameters[0].ParameterType.IsByRef
                || method.ReturnType.IsByRefLike || parameters[0].ParameterType.IsByRefLike || method.ReturnType.IsPointer || parameters[0].ParameterType.IsPointer)
            {
                return null;
            }
            try
            {
                Type funcType = typeof(Func<,>).MakeGenericType(parameters[0].ParameterType, method.ReturnType);
                Delegate func = instance is null ? method.CreateDelegate(funcType) : method.CreateDelegate(funcType, instance);
                return (FastRunner)Activator.CreateInstance(typeof(FastRunner<,>).MakeGenericType(parameters[0].ParameterType, method.ReturnType), func)!;
            }
            catch (ArgumentException)
            {
                return null; // falls back to reflection
            }
        }
    }

    private sealed class FastRunner<T1, TResult>(Func<T1, TResult> func) : FastRunner
    {
        private static readonly bool RawIn = PoolWire.IsRaw(typeof(T1));
        private static readonly bool RawOut = PoolWire.IsRaw(typeof(TResult));

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Run(ref MessagePackReader reader, ref MessagePackWriter writer, int calls, MessagePackSerializerOptions options)
        {
            IMessagePackFormatter<T1> input = options.Resolver.GetFormatterWithVerify<T1>();
            IMessagePackFormatter<TResult> output = options.Resolver.GetFormatterWithVerify<TResult>();
            for (int c = 0; c < calls; c++)
            {
                if (reader.ReadArrayHeader() != 1)
                {
                    throw new ArgumentException($"{func.Method.Name} takes 1 argument");
                }
                T1 argument;
                try
                {
                    argument = input.Deserialize(ref reader, options);
                }
                catch (Exception e) when (e is not MessagePackSerializationException)
                {
                    throw new MessagePackSerializationException($"Failed to deserialize {typeof(T1)} value.", e);
                }
                TResult result = func(argument);
                Write(ref writer, output, result, options);
            }
        }

        /// <summary>Items read in place from the frame: no copy of the chunk, no array.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private int RunRaw(ReadOnlySpan<byte> bytes, ArrayBufferWriter<byte> output, MessagePackSerializerOptions options)
        {
            int inSize = Unsafe.SizeOf<T1>();
            if (bytes.Length % inSize != 0)
            {
                throw new InvalidDataException($"a raw chunk of {typeof(T1)} has {bytes.Length} bytes");
            }
            int count = bytes.Length / inSize;
            ref byte source = ref MemoryMarshal.GetReference(bytes);
            if (RawOut)
            {
                int outSize = Unsafe.SizeOf<TResult>();
                Span<byte> destination = output.GetSpan(Math.Max(1, count * outSize));
                ref byte start = ref MemoryMarshal.GetReference(destination);
                for (int i = 0; i < count; i++)
                {
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref start, i * outSize), func(Unsafe.ReadUnaligned<T1>(ref Unsafe.Add(ref source, i * inSize))));
                }
                output.Advance(count * outSize);
                return PoolWire.RawResults;
            }
            var writer = new MessagePackWriter(output);
            IMessagePackFormatter<TResult> result = options.Resolver.GetFormatterWithVerify<TResult>();
            writer.WriteArrayHeader(count);
            for (int i = 0; i < count; i++)
            {
                Write(ref writer, result, func(Unsafe.ReadUnaligned<T1>(ref Unsafe.Add(ref source, i * inSize))), options);
            }
            writer.Flush();
            return PoolWire.Results;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Write(ref MessagePackWriter writer, IMessagePackFormatter<TResult> formatter, TResult value, MessagePackSerializerOptions options)
        {
            try
            {
                formatter.Serialize(ref writer, value, options);
            }
            catch (Exception e) when (e is not MessagePackSerializationException)
            {
                // As MessagePackSerializer.Serialize reports it, so the worker names the task and the type.
                throw new MessagePackSerializationException($"Failed to serialize {typeof(TResult)} value.", e);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override int RunChunk(byte kind, ReadOnlyMemory<byte> payload, ArrayBufferWriter<byte> output, MessagePackSerializerOptions options)
        {
            T1[] items;
            if (kind == PoolWire.RawItems)
            {
                if (!RawIn)
                {
                    throw new InvalidDataException($"{typeof(T1)} cannot arrive as raw memory");
                }
                return RunRaw(payload.Span, output, options);
            }
            else
            {
                var reader = new MessagePackReader(payload);
                items = new T1[reader.ReadArrayHeader()];
                IMessagePackFormatter<T1> input = options.Resolver.GetFormatterWithVerify<T1>();
                try
                {
                    for (int i = 0; i < items.Length; i++)
                    {
                        items[i] = input.Deserialize(ref reader, options);
                    }
                }
                catch (Exception e) when (e is not MessagePackSerializationException)
                {
                    throw new MessagePackSerializationException($"Failed to deserialize {typeof(T1)} value.", e);
                }
            }
            if (RawOut)
            {
                int size = Unsafe.SizeOf<TResult>();
                Span<byte> destination = output.GetSpan(Math.Max(1, items.Length * size));
                ref byte start = ref MemoryMarshal.GetReference(destination);
                for (int i = 0; i < items.Length; i++)
                {
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref start, i * size), func(items[i]));
                }
                output.Advance(items.Length * size);
                return PoolWire.RawResults;
            }
            var writer = new MessagePackWriter(output);
            IMessagePackFormatter<TResult> result = options.Resolver.GetFormatterWithVerify<TResult>();
            writer.WriteArrayHeader(items.Length);
            foreach (T1 item in items)
            {
                Write(ref writer, result, func(item), options);
            }
            writer.Flush();
            return PoolWire.Results;
        }
    }

    private static object? InvokeUnwrapped(MethodInfo method, object? instance, object?[] args)
    {
        try
        {
            return method.Invoke(instance, BindingFlags.DoNotWrapExceptions, null, args, null);
        }
        catch (TargetParameterCountException)
        {
            throw new ArgumentException($"{method.DeclaringType?.FullName}.{method.Name} takes {method.GetParameters().Length} arguments but {args.Length} were given");
        }
    }
}
