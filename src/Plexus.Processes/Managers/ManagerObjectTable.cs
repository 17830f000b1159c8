using static Plexus.Processes.OperationArgs;

namespace Plexus.Processes;

/// <summary>
/// The objects a manager serves, by id and by name, and the translation between them and the proxy
/// markers that stand for them on the wire. Used only under the manager's lock.
/// </summary>
internal sealed class ManagerObjectTable(IReadOnlyDictionary<string, Type> registered)
{
    private readonly Dictionary<int, IServedObject> _objects = [];
    private readonly Dictionary<string, IServedObject> _named = [];
    private int _nextId;

    /// <summary>Every object served.</summary>
    public IEnumerable<IServedObject> All => _objects.Values;

    public IServedObject this[int id] =>
        _objects.TryGetValue(id, out IServedObject? o) ? o : throw new KeyNotFoundException($"the manager holds no object {id}");

    /// <summary>
    /// Runs <see cref="ManagerOperations.Create"/>: args are the kind, a name or null (a named object is
    /// made once and found after), then the kind's initial content or a registered type's constructor arguments.
    /// </summary>
    public IServedObject Create(object?[] args)
    {
        string kind = At(args, 0, ManagerOperations.Create) as string ?? throw new ArgumentException("create needs a kind name");
        string? name = args.Length > 1 ? args[1] as string : null;
        if (name is not null && _named.TryGetValue(kind + "/" + name, out IServedObject? existing))
        {
            return existing;
        }
        object?[] rest = args.Length > 2 ? args[2..] : [];
        object? first = rest.Length > 0 ? rest[0] : null;
        int id = ++_nextId;
        IServedObject created = kind switch
        {
            ManagerKinds.Dictionary => new ServedDictionary(id, first as Dictionary<object, object?>),
            ManagerKinds.List => new ServedList(id, first as object?[]),
            ManagerKinds.Namespace => new ServedNamespace(id),
            ManagerKinds.Value => new ServedValue(id, first),
            ManagerKinds.Queue => new ServedQueue(id),
            ManagerKinds.Lock => new ServedLock(id),
            ManagerKinds.RLock => new ServedRLock(id),
            ManagerKinds.Event => new ServedEvent(id),
            ManagerKinds.Condition => new ServedCondition(id),
            ManagerKinds.Semaphore => new ServedSemaphore(id, first, bounded: false),
            ManagerKinds.BoundedSemaphore => new ServedSemaphore(id, first, bounded: true),
            ManagerKinds.Barrier => new ServedBarrier(id, first),
            ManagerKinds.Array => new ServedArray(id, first as object?[]),
            ManagerKinds.JoinableQueue => new ServedJoinableQueue(id),
            _ when registered.TryGetValue(kind, out Type? type) => new ServedRegisteredObject(id, kind, RegisteredTypeInvoker.Construct(type, rest)),
            _ => throw new InvalidOperationException($"the manager has no type registered as '{kind}'; call Register<T>(\"{kind}\") before Start()"),
        };
        _objects[id] = created;
        if (name is not null)
        {
            _named[kind + "/" + name] = created;
        }
        return created;
    }

    /// <summary>Replaces proxy markers in a request's arguments (nested ones included) with the served objects, in place.</summary>
    public object?[] Resolve(object?[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = Resolve(args[i]);
        }
        return args;
    }

    private object? Resolve(object? value)
    {
        if (ManagedProxy.IsMarker(value, out _, out int id))
        {
            return this[id];
        }
        switch (value)
        {
            case object?[] array:
                return Resolve(array);
            case Dictionary<object, object?> d:
                foreach (object k in d.Keys.ToList())
                {
                    d[k] = Resolve(d[k]);
                }
                return d;
            default:
                return value;
        }
    }

    /// <summary>
    /// A result as it goes on the wire: a served object (alone, or an item of a list or dictionary
    /// result) becomes its proxy marker. The stored containers are never changed: a copy is made when needed.
    /// </summary>
    public static object? ToWire(object? value)
    {
        switch (value)
        {
            case IServedObject served:
                return ManagedProxy.Marker(served.Kind, served.Id);
            case List<object?> list when list.Exists(x => x is IServedObject):
                return list.ConvertAll(x => x is IServedObject s ? ManagedProxy.Marker(s.Kind, s.Id) : x);
            case Dictionary<object, object?> dict when dict.Values.Any(x => x is IServedObject):
                return dict.ToDictionary(kv => kv.Key, kv => kv.Value is IServedObject s ? ManagedProxy.Marker(s.Kind, s.Id) : kv.Value);
            default:
                return value;
        }
    }
}
