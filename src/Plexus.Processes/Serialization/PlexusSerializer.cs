using System.Buffers;
using System.Collections.Concurrent;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Plexus.Processes.Serialization;

/// <summary>
/// The one serializer of Plexus: MessagePack with no type names in the payload. A value is read
/// back as the type the receiver declares (a parameter's, a typed queue's); records and POCOs go
/// by their public members, <c>object</c>-typed values by the closed set of
/// <see cref="ObjectFormatter"/>. Types that hold process-local state (threads, locks, streams,
/// capturing delegates) are refused with an error that says why and what to use instead.
/// </summary>
public static class PlexusSerializer
{
    /// <summary>Options for untrusted input: depth limits and collision-resistant hashing.</summary>
    public static MessagePackSerializerOptions Options { get; } = PlexusSerializerOptions.Create(null);

    /// <summary>Serializes <paramref name="value"/> as <typeparamref name="T"/> into <paramref name="writer"/>.</summary>
    public static void Serialize<T>(IBufferWriter<byte> writer, T value)
        => MessagePackSerializer.Serialize(writer, value, Options);

    /// <summary>Serializes <paramref name="value"/> as <typeparamref name="T"/> to a new array.</summary>
    public static byte[] Serialize<T>(T value) => MessagePackSerializer.Serialize(value, Options);

    /// <summary>Reads a <typeparamref name="T"/> from <paramref name="bytes"/>.</summary>
    public static T Deserialize<T>(ReadOnlyMemory<byte> bytes) => MessagePackSerializer.Deserialize<T>(bytes, Options);

    /// <summary>Serializes <paramref name="value"/> as <paramref name="type"/>, which must be its declared type.</summary>
    public static void Serialize(Type type, IBufferWriter<byte> writer, object? value, MessagePackSerializerOptions? options = null)
        => ByType.Get(type).Serialize(writer, value, options ?? Options);

    /// <summary>Reads a value of the declared <paramref name="type"/>.</summary>
    public static object? Deserialize(Type type, ReadOnlyMemory<byte> bytes, MessagePackSerializerOptions? options = null)
        => ByType.Get(type).Deserialize(bytes, options ?? Options);

    /// <summary>
    /// Non-generic calls through a generic instantiation made once per type: MessagePack's own
    /// non-generic API compiles expression trees, which costs a child milliseconds per parameter type.
    /// </summary>
    private abstract class ByType
    {
        private static readonly ConcurrentDictionary<Type, ByType> Cache = new();

        public static ByType Get(Type type) => Cache.GetOrAdd(type, static t =>
            (ByType)Activator.CreateInstance(typeof(Of<>).MakeGenericType(t))!);

        public abstract void Serialize(IBufferWriter<byte> writer, object? value, MessagePackSerializerOptions options);

        public abstract object? Deserialize(ReadOnlyMemory<byte> bytes, MessagePackSerializerOptions options);

        private sealed class Of<T> : ByType
        {
            public override void Serialize(IBufferWriter<byte> writer, object? value, MessagePackSerializerOptions options)
                => MessagePackSerializer.Serialize(writer, (T)value!, options);

            public override object? Deserialize(ReadOnlyMemory<byte> bytes, MessagePackSerializerOptions options)
                => MessagePackSerializer.Deserialize<T>(bytes, options);
        }
    }

    /// <summary>
    /// Why <paramref name="type"/> cannot cross to another process, or <c>null</c> when it can.
    /// </summary>
    public static string? WhyNotSerializable(Type type)
    {
        if (typeof(IProcessShareable).IsAssignableFrom(type))
        {
            return null;
        }
        if (typeof(Delegate).IsAssignableFrom(type))
        {
            return "it is a delegate: code cannot travel in a payload. Pass data and let the child's own method act on it";
        }
        if (type.IsPointer || type.IsByRef || type.IsByRefLike)
        {
            return "it points into this process's memory";
        }
        if (typeof(Thread).IsAssignableFrom(type) || typeof(WaitHandle).IsAssignableFrom(type)
            || type.Namespace == "System.Threading" && !type.IsValueType
            || type.Namespace == "System.Threading.Tasks")
        {
            return "it is a thread, task or lock that lives in this process only. Use Plexus's process-shared " +
                   "primitives (ProcessQueue, ProcessLock, ...) to coordinate across processes";
        }
        if (typeof(IDisposable).IsAssignableFrom(type) || typeof(IAsyncDisposable).IsAssignableFrom(type))
        {
            return "it owns process-local resources (it is IDisposable: a handle, a stream, a lock or a thread). " +
                   "For a queue between processes use ProcessQueue<T>; otherwise pass the plain data it holds";
        }
        return null;
    }

    /// <summary>The resolver: refusals first, then Plexus's own formatters, then MessagePack's contractless ones.</summary>
    internal sealed class Resolver : IFormatterResolver
    {
        public static readonly Resolver Instance = new();

        public IMessagePackFormatter<T>? GetFormatter<T>() => Cache<T>.Formatter;

        private static class Cache<T>
        {
            public static readonly IMessagePackFormatter<T>? Formatter = Create();

            private static IMessagePackFormatter<T>? Create()
            {
                if (typeof(T) == typeof(object))
                {
                    return (IMessagePackFormatter<T>)(object)ObjectFormatter.Instance;
                }
                if (typeof(IProcessShareable).IsAssignableFrom(typeof(T)))
                {
                    return (IMessagePackFormatter<T>)Activator.CreateInstance(
                        typeof(ShareableFormatter<>).MakeGenericType(typeof(T)))!;
                }
                // Primitives, strings, byte arrays and the like: the formatters the contractless resolver would find
                // first anyway, without building its dynamic resolvers (tens of milliseconds in a new process).
                if (MessagePack.Resolvers.BuiltinResolver.Instance.GetFormatter<T>() is { } builtin)
                {
                    return builtin;
                }
                if (WhyNotSerializable(typeof(T)) is { } why)
                {
                    return new RefusingFormatter<T>(why);
                }
                // Plexus's own internal messages are not public, so they need the resolver that allows that.
                return typeof(T).Assembly == typeof(Resolver).Assembly && !typeof(T).IsVisible
                    ? ContractlessStandardResolverAllowPrivate.Instance.GetFormatter<T>()
                    : ContractlessStandardResolver.Instance.GetFormatter<T>();
            }
        }
    }

    private sealed class RefusingFormatter<T>(string why) : IMessagePackFormatter<T>
    {
        public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options)
            => throw new NotSerializableException(typeof(T), why);

        public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
            => throw new NotSerializableException(typeof(T), why);
    }
}
