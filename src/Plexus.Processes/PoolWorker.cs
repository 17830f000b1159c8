using System.Buffers;
using System.Reflection;
using MessagePack;
using Plexus.Processes.Serialization;

namespace Plexus.Processes;

/// <summary>Parent → worker: one task (a batch of calls of one target), or a stop when <see cref="Id"/> is negative.</summary>
internal sealed class PoolRequest
{
    public long Id { get; set; }
    public int TargetId { get; set; }
    // Set only the first time a worker sees a target, so later tasks refer to it by id alone.
    public string? AssemblyName { get; set; }
    public Guid ModuleVersionId { get; set; }
    public int MetadataToken { get; set; }
    public string? DisplayName { get; set; }
    // [[args of call 1], [args of call 2], ...], each argument serialized by its declared parameter type.
    public byte[] Payload { get; set; } = [];
}

/// <summary>Worker → parent: the results of one task (by return type), or the exception it threw.</summary>
internal sealed class PoolResponse
{
    public long Id { get; set; }
    public byte[]? Payload { get; set; }
    public string? ErrorType { get; set; }
    public string? ErrorMessage { get; set; }
    public string? ErrorStack { get; set; }
}

/// <summary>What a worker runs before its first task: the pool's initializer and its arguments.</summary>
internal sealed class PoolWorkerSetup
{
    public string? AssemblyName { get; set; }
    public Guid ModuleVersionId { get; set; }
    public int MetadataToken { get; set; }
    public string? DisplayName { get; set; }
    public byte[] Arguments { get; set; } = [];
}

/// <summary>
/// The loop a <see cref="ProcessPool"/> worker process runs: tasks arrive in order on its pipe and
/// are answered in the same order, so the parent knows the oldest unanswered task is the running one.
/// </summary>
internal static class PoolWorker
{
    /// <summary>The worker's target (a static method, so a child process can run it).</summary>
    public static void Run(Connection connection, byte[] setup)
    {
        var targets = new Dictionary<int, (MethodInfo Method, object? Instance, Type[] Parameters, FastRunner? Fast)>();
        MessagePackSerializerOptions options = PlexusSerializer.Options;
        PoolWorkerSetup init = PlexusSerializer.Deserialize<PoolWorkerSetup>(setup);
        if (init.AssemblyName is not null)
        {
            // An initializer that throws ends the worker, as in Python; the parent sees it exit.
            var target = new Target(init.AssemblyName, init.ModuleVersionId, init.MetadataToken, init.DisplayName ?? "");
            (MethodInfo method, object? instance) = target.Resolve();
            Type[] types = method.GetParameters().Select(p => p.ParameterType).ToArray();
            var reader = new MessagePackReader(init.Arguments);
            int count = reader.ReadArrayHeader();
            object?[] args = new object?[count];
            for (int i = 0; i < count; i++)
            {
                args[i] = MessagePackSerializer.Deserialize(types[i], ref reader, options);
            }
            InvokeUnwrapped(method, instance, args);
        }
        var output = new ArrayBufferWriter<byte>(256);
        var response = new PoolResponse();
        while (true)
        {
            PoolRequest request;
            try
            {
                request = connection.Receive<PoolRequest>();
            }
            catch (EndOfStreamException)
            {
                return;
            }
            if (request.Id < 0)
            {
                connection.Dispose();
                return;
            }
            response.Id = request.Id;
            response.Payload = null;
            response.ErrorType = response.ErrorMessage = response.ErrorStack = null;
            try
            {
                if (!targets.TryGetValue(request.TargetId, out var entry))
                {
                    var target = new Target(request.AssemblyName!, request.ModuleVersionId, request.MetadataToken, request.DisplayName ?? "");
                    (MethodInfo method, object? instance) = target.Resolve();
                    entry = (method, instance, method.GetParameters().Select(p => p.ParameterType).ToArray(), FastRunner.TryCreate(method, instance));
                    targets[request.TargetId] = entry;
                }
                output.ResetWrittenCount();
                Execute(entry.Method, entry.Instance, entry.Parameters, entry.Fast, request.Payload, output, options);
                response.Payload = output.WrittenSpan.ToArray();
            }
            catch (Exception e)
            {
                response.ErrorType = e.GetType().FullName;
                response.ErrorMessage = e.Message;
                response.ErrorStack = e.ToString();
            }
            connection.Send(response);
        }
    }

    private static void Execute(MethodInfo method, object? instance, Type[] parameters, FastRunner? fast, byte[] payload,
        ArrayBufferWriter<byte> output, MessagePackSerializerOptions options)
    {
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
            return;
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
    }

    private static NotSerializableException ResultNotSerializable(MethodInfo method, Type type, MessagePackSerializationException e) => new(type,
        $"the task {method.DeclaringType?.FullName}.{method.Name} returned a value that cannot be sent back to the parent: {(e.InnerException ?? e).Message}. " +
        "Return plain data (primitives, strings, arrays, lists, dictionaries, records) instead");

    /// <summary>
    /// Runs one-argument tasks through a typed delegate: no reflection call, no boxing, generic
    /// (de)serialization per item. This is what makes map fast.
    /// </summary>
    private abstract class FastRunner
    {
        public abstract void Run(ref MessagePackReader reader, ref MessagePackWriter writer, int calls, MessagePackSerializerOptions options);

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
        public override void Run(ref MessagePackReader reader, ref MessagePackWriter writer, int calls, MessagePackSerializerOptions options)
        {
            for (int c = 0; c < calls; c++)
            {
                if (reader.ReadArrayHeader() != 1)
                {
                    throw new ArgumentException($"{func.Method.Name} takes 1 argument");
                }
                TResult result = func(MessagePackSerializer.Deserialize<T1>(ref reader, options));
                MessagePackSerializer.Serialize(ref writer, result, options);
            }
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
