using System.Buffers;
using System.Collections.Concurrent;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace Plexus.Processes.Serialization;

/// <summary>
/// The one serializer of Plexus: MessagePack with no type names in the payload. A value is read
/// back as the type the receiver declares (a parameter's, a typed queue's); a user's records,
/// classes and structs (public or not) go as all their instance fields, private ones included
/// (<see cref="FieldsFormatter{T}"/>), <c>object</c>-typed values by the closed set of
/// <see cref="ObjectFormatter"/>. Types that hold process-local state (threads, locks, streams,
/// sockets, handles, delegates), or that hold such a field, are refused with an error that names the
/// field and says what to do instead.
/// </summary>
public static class PlexusSerializer
{
    /// <summary>Options for untrusted input: depth limits and collision-resistant hashing.</summary>
    public static MessagePackSerializerOptions Options { get; } = PlexusSerializerOptions.Create(null);

    // Counted rather than a flag so that scopes nest.
    [ThreadStatic, System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006", Justification = "t_ marks a thread-static field")]
    private static int t_leavingHost;

    /// <summary>
    /// Marks what this thread serializes (or reads) until the scope is disposed as bound for another
    /// host, e.g. Redis: shareable objects (pipe ends, queues, locks, manager proxies) are refused
    /// there, since their descriptors cannot leave this host and a manager proxy would carry the
    /// manager's key into the store.
    /// </summary>
    public static LeavingHostScope LeavingHost()
    {
        t_leavingHost++;
        return new LeavingHostScope(true);
    }

    internal static bool IsLeavingHost => t_leavingHost > 0;

    /// <summary>Ends what <see cref="LeavingHost"/> began on this thread.</summary>
    public readonly struct LeavingHostScope : IDisposable
    {
        private readonly bool _active;

        internal LeavingHostScope(bool active) => _active = active;

        /// <summary>Ends the scope (a default instance does nothing).</summary>
        public void Dispose()
        {
            if (_active && t_leavingHost > 0)
            {
                t_leavingHost--;
            }
        }
    }

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
        private static readonly ConcurrentDictionary<Type, ByType> s_cache = new();

        public static ByType Get(Type type) => s_cache.GetOrAdd(type, static t =>
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
    /// Why <paramref name="type"/> cannot cross to another process, or <c>null</c> when it can. For a
    /// user's class or struct this includes every field it holds, private ones too, and the answer
    /// names the field path (<c>Job._log: FileStream: ...</c>).
    /// </summary>
    public static string? WhyNotSerializable(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return WhyTypeCannotCross(type) ?? InstanceFields.WhyNot(type);
    }

    /// <summary>Why a value of exactly <paramref name="type"/> cannot cross, not looking at its fields.</summary>
    internal static string? WhyTypeCannotCross(Type type)
    {
        if (typeof(IProcessShareable).IsAssignableFrom(type))
        {
            return null;
        }
        if (typeof(Delegate).IsAssignableFrom(type))
        {
            return "it is a delegate: code cannot travel in a payload. Pass data and let the child's own method act on it";
        }
        if (type.IsPointer || type.IsByRef || type.IsByRefLike || type == typeof(IntPtr) || type == typeof(UIntPtr))
        {
            return "it points into this process's memory";
        }
        if (typeof(Thread).IsAssignableFrom(type) || typeof(WaitHandle).IsAssignableFrom(type)
            || type.Namespace is "System.Threading" or "System.Threading.Tasks")
        {
            return "it is a thread, task, cancellation token or lock that lives in this process only. Use Plexus's " +
                   "process-shared primitives (ProcessQueue, ProcessLock, ProcessEvent, ...) to coordinate across processes";
        }
        if (typeof(IDisposable).IsAssignableFrom(type) || typeof(IAsyncDisposable).IsAssignableFrom(type))
        {
            return "it owns process-local resources (it is IDisposable: a handle, a stream, a socket, a lock or a thread). " +
                   "For a queue between processes use ProcessQueue<T>; otherwise pass the plain data it holds";
        }
        return null;
    }

    /// <summary>The resolver: Plexus's own formatters, refusals, MessagePack's collection formatters, then user types by their fields.</summary>
    internal sealed class Resolver : IFormatterResolver
    {
        public static readonly Resolver Instance = new();

        public IMessagePackFormatter<T>? GetFormatter<T>() => s_cache<T>.Formatter;

        private static class s_cache<T>
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
                if (PrimitiveFormatters.For(typeof(T)) is IMessagePackFormatter<T> primitive)
                {
                    return primitive;
                }
                // Byte arrays, dates and the like: the formatters the contractless resolver would find
                // first anyway, without building its dynamic resolvers (tens of milliseconds in a new process).
                if (MessagePack.Resolvers.BuiltinResolver.Instance.GetFormatter<T>() is { } builtin)
                {
                    return builtin;
                }
                if (WhyNotSerializable(typeof(T)) is { } why)
                {
                    return new RefusingFormatter<T>(why);
                }
                try
                {
                    // Collections, tuples, enums and attributed types by MessagePack's own resolvers; a user's
                    // class or struct (public or not) by all its fields; other .NET types by their public members.
                    return Standard.Instance.GetFormatter<T>()
                        ?? (InstanceFields.TravelsAsFields(typeof(T))
                            ? new FieldsFormatter<T>()
                            : ContractlessStandardResolverAllowPrivate.Instance.GetFormatter<T>());
                }
                catch (Exception e) when (e is TypeInitializationException or MessagePackSerializationException or InvalidOperationException or NotSupportedException)
                {
                    Exception cause = e is TypeInitializationException { InnerException: { } inner } ? inner : e;
                    return new RefusingFormatter<T>($"Plexus cannot build a serializer for it ({cause.Message}). Send a record or class of plain data instead");
                }
            }
        }

        /// <summary>
        /// MessagePack's resolvers, built on first use only (a class of its own, so that the resolver's other
        /// statics do not build them): a child or a pool worker whose values are all primitives never pays for them.
        /// </summary>
        private static class Standard
        {
            public static readonly IFormatterResolver Instance = CompositeResolver.Create(
                AttributeFormatterResolver.Instance, MessagePack.ImmutableCollection.ImmutableCollectionResolver.Instance,
                DynamicGenericResolver.Instance, DynamicUnionResolver.Instance);
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
