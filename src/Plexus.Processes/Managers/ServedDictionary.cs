using static Plexus.Processes.OperationArgs;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>A dictionary the manager serves (<see cref="ManagedDictionary"/>); keys and values are any values that cross.</summary>
internal class ServedDictionary(int id, Dictionary<object, object?>? initial = null) : IServedObject
{
    private readonly Dictionary<object, object?> _entries = initial is null ? [] : new(initial);

    public int Id { get; } = id;

    public virtual string Kind => ManagerKinds.Dictionary;

    /// <summary>What a missing key's message calls this object.</summary>
    protected virtual string Noun => "dictionary";

    public object? Invoke(string operation, object?[] args, DeferredCall caller)
    {
        Dictionary<object, object?> d = _entries;
        switch (operation)
        {
            case Ops.Get:
                object key = Key(args, operation);
                return d.TryGetValue(key, out object? v) ? v : throw new KeyNotFoundException($"the key {Show(key)} is not in the {Noun}");
            case Ops.GetOrDefault:
                return d.TryGetValue(Key(args, operation), out object? found) ? found : At(args, 1, operation);
            case Ops.Set:
                d[Key(args, operation)] = At(args, 1, operation);
                return null;
            case Ops.Add:
                object added = Key(args, operation);
                return d.TryAdd(added, At(args, 1, operation)) ? null : throw new ArgumentException($"the key {Show(added)} is already in the {Noun}");
            case Ops.TryGetValue:
                return d.TryGetValue(Key(args, operation), out object? there) ? new object?[] { true, there } : new object?[] { false, null };
            case Ops.Contains:
                return d.ContainsKey(Key(args, operation));
            case Ops.Remove:
                return d.Remove(Key(args, operation));
            case Ops.Count:
                return d.Count;
            case Ops.Clear:
                d.Clear();
                return null;
            case Ops.Increment:
                return Increment(Key(args, operation), Of<long>(args, 1, operation, "a long delta"));
            case Ops.Update:
                foreach (KeyValuePair<object, object?> kv in Of<Dictionary<object, object?>>(args, 0, operation, "a dictionary"))
                {
                    d[kv.Key] = kv.Value;
                }
                return null;
            case Ops.GetMany:
                return Of<object?[]>(args, 0, operation, "an array of keys")
                    .Select(x => x is not null && d.TryGetValue(x, out object? y) ? y : null).ToList();
            case Ops.Items:
                return new Dictionary<object, object?>(d);
            case Ops.Keys:
                return d.Keys.Cast<object?>().ToList();
            case Ops.Values:
                return d.Values.ToList();
            default:
                throw NoOperation(Noun, operation);
        }
    }

    private long Increment(object key, long delta)
    {
        long now = (_entries.TryGetValue(key, out object? old) ? old switch
        {
            null => 0,
            int i => i,
            long x => x,
            _ => throw new InvalidCastException($"the value at {Show(key)} is a {old.GetType().Name}, not a number"),
        } : 0) + delta;
        // An int stays an int while it fits, so a reader that stored ints reads ints back.
        _entries[key] = old is int && now is >= int.MinValue and <= int.MaxValue ? (int)now : now;
        return now;
    }
}
