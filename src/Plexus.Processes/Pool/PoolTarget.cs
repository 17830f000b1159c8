using System.Buffers;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MessagePack;
using MessagePack.Formatters;
using Plexus.Processes.Serialization;

namespace Plexus.Processes;

/// <summary>
/// A pool task's target as the parent knows it: checked once (static, or a lambda that captures
/// nothing), named by a number the workers learn on first use, encoding its calls by the declared
/// parameter types and reading its results by the return type.
/// </summary>
internal sealed class PoolTarget
{
    private static int s_ids;

    private PoolTarget(Target target, Type[] parameters, string[] names, Type returnType)
    {
        Target = target;
        Parameters = parameters;
        Names = names;
        ReturnType = returnType;
    }

    public int Id { get; } = Interlocked.Increment(ref s_ids);
    public Target Target { get; }
    public Type[] Parameters { get; }
    public string[] Names { get; }
    public Type ReturnType { get; }

    public static PoolTarget From(Delegate func)
    {
        Target target = Plexus.Processes.Target.From(func, out ParameterInfo[] parameters);
        return new PoolTarget(target, parameters.Select(p => p.ParameterType).ToArray(), parameters.Select(p => p.Name ?? "?").ToArray(), func.Method.ReturnType);
    }

    public static byte[] EncodeBatch(int calls, PoolCallWriter write)
    {
        ArrayBufferWriter<byte> buffer = PoolScratch.Take();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(calls);
        for (int i = 0; i < calls; i++)
        {
            write(ref writer, i);
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <param name="args">The arguments, one per parameter.</param>
    /// <param name="argsName">The caller's parameter name, for errors.</param>
    /// <param name="options">How shareable arguments travel (default: their descriptors are fetched once, from this process's resource sharer).</param>
    public byte[] EncodeCall(object?[] args, string argsName, MessagePackSerializerOptions? options = null)
        => EncodeBatch(1, (ref MessagePackWriter w, int _) => WriteArguments(ref w, args, argsName, options))[1..];

    /// <summary>One call without arguments: <c>[[]]</c>.</summary>
    public byte[] EncodeNone() => EncodeArgs([], "args");

    /// <summary>One call with any arguments, each checked against and serialized by its parameter type.</summary>
    public byte[] EncodeArgs(object?[] args, string argsName)
    {
        ArrayBufferWriter<byte> buffer = PoolScratch.Take();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(1);
        WriteArguments(ref writer, args, argsName);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>One call with one argument: typed (no boxing) when the argument's type is the parameter's.</summary>
    public byte[] EncodeOne<T1>(T1 arg)
    {
        if (Parameters.Length != 1 || Parameters[0] != typeof(T1))
        {
            return EncodeArgs([arg], nameof(arg));
        }
        ArrayBufferWriter<byte> buffer = PoolScratch.Take();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(1);
        writer.WriteArrayHeader(1);
        try
        {
            try
            {
                PlexusSerializer.Options.Resolver.GetFormatterWithVerify<T1>().Serialize(ref writer, arg, PlexusSerializer.Options);
            }
            catch (Exception e) when (e is not MessagePackSerializationException)
            {
                throw new MessagePackSerializationException($"Failed to serialize {typeof(T1)} value.", e);
            }
        }
        catch (MessagePackSerializationException e)
        {
            string reason = (e.InnerException ?? e).Message;
            throw new ArgumentException($"argument '{Names[0]}' of {Target.DisplayName} ({arg?.GetType() ?? Parameters[0]}) cannot be sent to a pool worker: {reason}", nameof(arg), e);
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public void WriteArguments(ref MessagePackWriter writer, object?[] args, string argsName, MessagePackSerializerOptions? options = null)
    {
        options ??= PlexusSerializer.Options;
        if (args.Length != Parameters.Length)
        {
            throw new ArgumentException($"{Target.DisplayName} takes {Parameters.Length} arguments but {args.Length} were given", argsName);
        }
        if (Hosting.PublishMode.IsNativeAot && args.Length > 0)
        {
            // Arguments of any number go by MessagePack's non-generic API, which makes generic code at run time.
            throw new NotSupportedException(
                $"in a NativeAOT app a pool task takes one argument (Map, Apply(func, arg)); {Target.DisplayName} takes {args.Length}. " +
                "Pass them as one array argument, or start a ChildProcess, or publish without PublishAot");
        }
        writer.WriteArrayHeader(args.Length);
        for (int i = 0; i < args.Length; i++)
        {
            object? value = args[i];
            if (value is not null && !Parameters[i].IsInstanceOfType(value))
            {
                throw new ArgumentException($"argument '{Names[i]}' of {Target.DisplayName} is a {value.GetType()}, not a {Parameters[i]}", argsName);
            }
            try
            {
                MessagePackSerializer.Serialize(Parameters[i], ref writer, value, options);
            }
            catch (MessagePackSerializationException e)
            {
                string reason = (e.InnerException ?? e).Message;
                throw new ArgumentException($"argument '{Names[i]}' of {Target.DisplayName} ({value?.GetType() ?? Parameters[i]}) cannot be sent to a pool worker: {reason}", argsName, e);
            }
        }
    }

    /// <summary>Reads a response's results as <typeparamref name="TResult"/>.</summary>
    public TResult[] ReadResults<TResult>(ReadOnlyMemory<byte> payload, bool raw)
    {
        int count;
        try
        {
            count = raw ? payload.Length / Unsafe.SizeOf<TResult>() : new MessagePackReader(payload).ReadArrayHeader();
        }
        catch (MessagePackSerializationException e)
        {
            throw new InvalidDataException($"the result of {Target.DisplayName} could not be read: {(e.InnerException ?? e).Message}", e);
        }
        var results = new TResult[count];
        ReadResults(payload, raw, results.AsSpan());
        return results;
    }

    /// <summary>Reads a response's results into <paramref name="destination"/>, which they must fill exactly.</summary>
    public void ReadResults<TResult>(ReadOnlyMemory<byte> payload, bool raw, Span<TResult> destination)
    {
        try
        {
            if (raw)
            {
                if (typeof(TResult) != ReturnType || !PoolWire.IsRaw(typeof(TResult)) || RuntimeHelpers.IsReferenceOrContainsReferences<TResult>()
                    || payload.Length != destination.Length * Unsafe.SizeOf<TResult>())
                {
                    throw new InvalidDataException($"the worker sent {payload.Length} bytes of raw {ReturnType} results for {destination.Length} items");
                }
                if (payload.Length > 0)
                {
                    Unsafe.CopyBlockUnaligned(ref Unsafe.As<TResult, byte>(ref MemoryMarshal.GetReference(destination)),
                        ref MemoryMarshal.GetReference(payload.Span), (uint)payload.Length);
                }
                return;
            }
            var reader = new MessagePackReader(payload);
            int count = reader.ReadArrayHeader();
            if (count != destination.Length)
            {
                throw new InvalidDataException($"the worker sent {count} results of {Target.DisplayName} for {destination.Length} items");
            }
            if (typeof(TResult) == typeof(object) && ReturnType != typeof(object))
            {
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = reader.TryReadNil() ? default! : (TResult)MessagePackSerializer.Deserialize(ReturnType, ref reader, PlexusSerializer.Options)!;
                }
            }
            else
            {
                IMessagePackFormatter<TResult> formatter = PlexusSerializer.Options.Resolver.GetFormatterWithVerify<TResult>();
                try
                {
                    for (int i = 0; i < destination.Length; i++)
                    {
                        destination[i] = formatter.Deserialize(ref reader, PlexusSerializer.Options);
                    }
                }
                catch (Exception e) when (e is not MessagePackSerializationException)
                {
                    throw new MessagePackSerializationException($"Failed to deserialize {typeof(TResult)} value.", e);
                }
            }
        }
        catch (MessagePackSerializationException e)
        {
            throw new InvalidDataException($"the result of {Target.DisplayName} could not be read as {typeof(TResult)}: {(e.InnerException ?? e).Message}", e);
        }
    }
}
