using System.Buffers;
using MessagePack;
using Plexus.Processes.Serialization;

namespace Plexus.Processes;

/// <summary>
/// The base of every proxy of a manager-served object (Python's <c>BaseProxy</c>). A proxy is an
/// address, an auth key and an object id; it can go wherever an argument goes (a
/// <see cref="ChildProcess.Start"/> argument, a pool task, <see cref="Connection.Send{T}"/>, a
/// <see cref="ProcessQueue{T}"/> item), and it reconnects by itself where it lands. It can also be
/// stored inside another managed object (a list inside a dictionary stays one shared list, not a copy).
/// </summary>
public abstract class ManagedProxy : IProcessShareable
{
    private const string RefTag = "\u0001plexus-proxy";

    private protected ManagedProxy(ManagerClient client, int id, string kind)
    {
        Client = client;
        Id = id;
        Kind = kind;
    }

    internal ManagerClient Client { get; }

    /// <summary>The object's id in its manager.</summary>
    public int Id { get; }

    /// <summary>What the manager serves: "dict", "list", "namespace", "value", "array", "queue", "joinablequeue", "lock", "rlock", "event", "condition", "semaphore", "boundedsemaphore", "barrier" or a registered type's name.</summary>
    public string Kind { get; }

    /// <summary>The manager's address.</summary>
    public string Address => Client.Address;

    private protected object? Call(string method, params object?[] args) => Client.Call(Id, method, args);

    private protected Task<object?> CallAsync(string method, params object?[] args) => Client.CallAsync(Id, method, args);

    /// <summary>A call that may wait in the manager, given up after <paramref name="timeout"/> (false) or on cancellation (see <see cref="ManagerClient.TryCallWaiting"/>).</summary>
    private protected bool TryCallWaiting(string method, TimeSpan timeout, CancellationToken cancellationToken, out object? result, params object?[] args) =>
        Client.TryCallWaiting(Id, method, args, timeout, cancellationToken, out result);

    /// <summary>The asynchronous <see cref="TryCallWaiting"/>.</summary>
    private protected Task<(bool Done, object? Result)> CallWaitingAsync(string method, TimeSpan timeout, CancellationToken cancellationToken, params object?[] args) =>
        Client.CallWaitingAsync(Id, method, args, timeout, cancellationToken);

    private protected static T As<T>(object? value)
    {
        if (value is T t)
        {
            return t;
        }
        if (value is null)
        {
            return default!;
        }
        Type target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        if (value is IConvertible && (target.IsPrimitive || target == typeof(decimal)))
        {
            return (T)Convert.ChangeType(value, target, System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new InvalidCastException($"the manager returned a {value.GetType().Name}, not a {typeof(T).Name}");
    }

    /// <inheritdoc />
    public override string ToString() => $"<{Kind} proxy {Id} at {Address}>";

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles)
    {
        writer.WriteArrayHeader(4);
        writer.Write(Client.Address);
        writer.Write(Client.AuthKey);
        writer.Write(Kind);
        writer.Write(Id);
    }

    /// <summary>Reads what <see cref="IProcessShareable.WriteShared"/> wrote and reconnects in this process.</summary>
    private protected static (ManagerClient Client, int Id, string Kind) ReadProxy(ref MessagePackReader reader)
    {
        if (reader.ReadArrayHeader() != 4)
        {
            throw new MessagePackSerializationException("a manager proxy is four fields");
        }
        string address = reader.ReadString()!;
        byte[] key = reader.ReadBytes()!.Value.ToArray();
        string kind = reader.ReadString()!;
        int id = reader.ReadInt32();
        return (ManagerClient.For(address, key), id, kind);
    }

    internal static ManagedProxy Make(ManagerClient client, string kind, int id) => kind switch
    {
        ManagerKinds.Dictionary => new ManagedDictionary(client, id),
        ManagerKinds.List => new ManagedList(client, id),
        ManagerKinds.Namespace => new ManagedNamespace(client, id),
        ManagerKinds.Queue => new ManagedQueue(client, id),
        ManagerKinds.Lock => new ManagedLock(client, id),
        ManagerKinds.Value => new ManagedValue<object?>(client, id),
        ManagerKinds.RLock => new ManagedRLock(client, id),
        ManagerKinds.Event => new ManagedEvent(client, id),
        ManagerKinds.Condition => new ManagedCondition(client, id),
        ManagerKinds.Semaphore or ManagerKinds.BoundedSemaphore => new ManagedSemaphore(client, id, kind),
        ManagerKinds.Barrier => new ManagedBarrier(client, id),
        ManagerKinds.Array => new ManagedArray<object?>(client, id),
        ManagerKinds.JoinableQueue => new ManagedJoinableQueue(client, id),
        _ => new ManagedObject(client, id, kind),
    };

    internal static object?[] Marker(string kind, int id) => [RefTag, kind, id];

    internal static bool IsMarker(object? value, out string kind, out int id)
    {
        if (value is object?[] { Length: 3 } a && a[0] is string tag && tag == RefTag && a[1] is string k)
        {
            kind = k;
            id = Convert.ToInt32(a[2], System.Globalization.CultureInfo.InvariantCulture);
            return true;
        }
        kind = "";
        id = 0;
        return false;
    }

    /// <summary>Replaces proxies with markers (top level and inside arrays, lists and dictionaries).</summary>
    internal static object?[] ToWire(object?[] args)
    {
        object?[]? copy = null;
        for (int i = 0; i < args.Length; i++)
        {
            object? mapped = ToWireValue(args[i]);
            if (!ReferenceEquals(mapped, args[i]))
            {
                copy ??= (object?[])args.Clone();
                copy[i] = mapped;
            }
        }
        return copy ?? args;
    }

    private static object? ToWireValue(object? value)
    {
        switch (value)
        {
            case ManagedProxy p:
                return Marker(p.Kind, p.Id);
            case object?[] array:
                return ToWire(array);
            case Dictionary<object, object?> dict when dict.Values.Any(v => v is ManagedProxy):
                return dict.ToDictionary(kv => kv.Key, kv => ToWireValue(kv.Value));
            case List<object?> list when list.Any(v => v is ManagedProxy):
                return list.ConvertAll(ToWireValue);
            default:
                return value;
        }
    }

    /// <summary>Replaces markers in a reply with live proxies.</summary>
    internal static object? FromWire(object? value, ManagerClient client)
    {
        if (IsMarker(value, out string kind, out int id))
        {
            return Make(client, kind, id);
        }
        switch (value)
        {
            case object?[] array:
                for (int i = 0; i < array.Length; i++)
                {
                    array[i] = FromWire(array[i], client);
                }
                return array;
            case List<object?> list:
                for (int i = 0; i < list.Count; i++)
                {
                    if (list[i] is object?[] or List<object?> or Dictionary<object, object?>)
                    {
                        list[i] = FromWire(list[i], client);
                    }
                }
                return list;
            case Dictionary<object, object?> dict:
                foreach (object key in dict.Keys.ToList())
                {
                    if (dict[key] is object?[] or List<object?> or Dictionary<object, object?>)
                    {
                        dict[key] = FromWire(dict[key], client);
                    }
                }
                return dict;
            default:
                return value;
        }
    }
}
