using System.Buffers;
using System.Reflection;
using System.Runtime.InteropServices;
using MessagePack;
using Plexus.Processes.Serialization;

namespace Plexus.Processes;

/// <summary>
/// The loop a <see cref="ProcessPool"/> worker process runs: it runs the pool's initializer and says
/// how that went, then tasks arrive in order on its pipe and are answered in the same order, each
/// as soon as it is done, so the parent knows the oldest unanswered task is the running one.
/// </summary>
internal static class PoolWorkerLoop
{
    /// <summary>The worker's target (a static method, so a child process can run it).</summary>
    public static void Run(Connection connection, byte[] setup)
    {
        var targets = new Dictionary<int, LoadedTarget>();
        var output = new ArrayBufferWriter<byte>(256);
        var frame = new ArrayBufferWriter<byte>(256);
        try
        {
            RunInitializer(setup);
        }
        catch (Exception e)
        {
            // The parent learns why (no task of this worker ran); the worker then ends, as in Python.
            try
            {
                SendError(connection, frame, 0, PoolWire.InitializerFailed, e);
            }
            catch (Exception sendError) when (sendError is IOException or ObjectDisposedException)
            {
                // The parent is gone or closed our pipe: nobody waits for the report.
            }
            throw;
        }
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
            Handle(connection, batch, targets, output, frame);
        }
    }

    private static void RunInitializer(byte[] setup)
    {
        (Target? initializer, ReadOnlyMemory<byte> initArguments) = PoolWire.DecodeSetup(setup);
        if (initializer is null)
        {
            return;
        }
        (MethodInfo method, object? instance) = initializer.Resolve();
        Type[] types = method.GetParameters().Select(p => p.ParameterType).ToArray();
        var reader = new MessagePackReader(initArguments);
        int count = reader.ReadArrayHeader();
        object?[] args = new object?[count];
        for (int i = 0; i < count; i++)
        {
            args[i] = MessagePackSerializer.Deserialize(types[i], ref reader, PlexusSerializer.Options);
        }
        InvokeUnwrapped(method, instance, args);
    }

    /// <summary>Runs a frame's tasks in order, answering each as soon as it is done.</summary>
    private static void Handle(Connection connection, PoolRequestBatch batch, Dictionary<int, LoadedTarget> targets,
        ArrayBufferWriter<byte> output, ArrayBufferWriter<byte> frame)
    {
        foreach (PoolRequest request in batch.Requests)
        {
            int status;
            try
            {
                if (!targets.TryGetValue(request.TargetId, out LoadedTarget? entry))
                {
                    Target target = request.Target ?? throw new InvalidDataException($"the pool sent task {request.Id} for an unknown target {request.TargetId}");
                    (MethodInfo method, object? instance) = target.Resolve();
                    entry = new LoadedTarget(method, instance, method.GetParameters().Select(p => p.ParameterType).ToArray(), PoolFastRunner.TryCreate(method, instance));
                    targets[request.TargetId] = entry;
                }
                output.ResetWrittenCount();
                output.Advance(PoolResponse.HeaderSize); // filled in below: the answer leaves from this buffer, uncopied
                status = Execute(entry, request.Kind, request.Payload, output);
            }
            catch (Exception e)
            {
                SendError(connection, frame, request.Id, PoolWire.Error, e);
                continue;
            }
            // Each answer leaves at once: if the next task kills the worker, this one is not lost.
            Span<byte> answer = MemoryMarshal.AsMemory(output.WrittenMemory).Span;
            PoolResponse.WriteHeader(answer, request.Id, status, answer.Length - PoolResponse.HeaderSize);
            connection.SendBytes(answer);
        }
    }

    private static void Send(Connection connection, ArrayBufferWriter<byte> frame, long id, int status, ReadOnlySpan<byte> payload)
    {
        frame.ResetWrittenCount();
        var writer = new MessagePackWriter(frame);
        PoolResponse.Write(ref writer, id, status, payload);
        writer.Flush();
        connection.SendBytes(frame.WrittenSpan);
    }

    private static void SendError(Connection connection, ArrayBufferWriter<byte> frame, long id, int status, Exception error)
    {
        frame.ResetWrittenCount();
        var writer = new MessagePackWriter(frame);
        PoolResponse.WriteError(ref writer, id, status, error);
        writer.Flush();
        connection.SendBytes(frame.WrittenSpan);
    }

    /// <returns>The response status: <see cref="PoolWire.Results"/> or <see cref="PoolWire.RawResults"/>.</returns>
    private static int Execute(LoadedTarget target, byte kind, ReadOnlyMemory<byte> payload, ArrayBufferWriter<byte> output)
    {
        MethodInfo method = target.Method;
        if (kind != PoolWire.Calls)
        {
            if (target.Fast is null)
            {
                throw new InvalidOperationException($"{method.DeclaringType?.FullName}.{method.Name} cannot take a typed chunk");
            }
            try
            {
                return target.Fast.RunChunk(kind, payload, output);
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
        if (target.Fast is not null)
        {
            try
            {
                target.Fast.Run(ref reader, ref writer, calls);
            }
            catch (MessagePackSerializationException e)
            {
                throw ResultNotSerializable(method, method.ReturnType, e);
            }
            writer.Flush();
            return PoolWire.Results;
        }
        MessagePackSerializerOptions options = PlexusSerializer.Options;
        object?[] args = new object?[target.Parameters.Length];
        Type returnType = method.ReturnType;
        for (int c = 0; c < calls; c++)
        {
            int count = reader.ReadArrayHeader();
            for (int i = 0; i < count; i++)
            {
                args[i] = MessagePackSerializer.Deserialize(target.Parameters[i], ref reader, options);
            }
            object? result = InvokeUnwrapped(method, target.Instance, args);
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

    /// <summary>A target this worker has resolved, kept by the number the pool names it by.</summary>
    private sealed record LoadedTarget(MethodInfo Method, object? Instance, Type[] Parameters, PoolFastRunner? Fast);
}
