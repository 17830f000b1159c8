using MessagePack;
using Plexus.Processes.Serialization;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A list served by a <see cref="ProcessManager"/> (Python's <c>Manager().list()</c> proxy). An index out of
/// range throws <see cref="ArgumentOutOfRangeException"/>, as <see cref="List{T}"/> does.
/// </summary>
public sealed class ManagedList : ManagedProxy, IProcessShareable<ManagedList>
{
    internal ManagedList(ManagerClient client, int id) : base(client, id, ManagerKinds.List) { }

    static ManagedList IProcessShareable<ManagedList>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, _) = ReadProxy(ref reader);
        return new ManagedList(client, id);
    }

    /// <summary>Gets or sets the item at <paramref name="index"/>.</summary>
    public object? this[int index]
    {
        get => Call(Ops.Get, index);
        set => Call(Ops.Set, index, value);
    }

    /// <summary>The number of items (Python's <c>len(l)</c>).</summary>
    public int Count => As<int>(Call(Ops.Count));

    /// <summary>Appends an item (Python's <c>l.append(x)</c>).</summary>
    public void Add(object? item) => Call(Ops.Add, item);

    /// <summary>Appends an item with other calls in flight (pipelined).</summary>
    public Task AddAsync(object? item) => CallAsync(Ops.Add, item);

    /// <summary>Appends many items in one call (Python's <c>l.extend(xs)</c>).</summary>
    public void AddRange(IEnumerable<object?> items) => Call(Ops.Extend, (object)items.ToArray());

    /// <summary>Inserts an item at <paramref name="index"/>.</summary>
    public void Insert(int index, object? item) => Call(Ops.Insert, index, item);

    /// <summary>Removes the item at <paramref name="index"/>.</summary>
    public void RemoveAt(int index) => Call(Ops.RemoveAt, index);

    /// <summary>Removes the first equal item; true when one was found.</summary>
    public bool Remove(object? item) => As<bool>(Call(Ops.Remove, item));

    /// <summary>Removes every item.</summary>
    public void Clear() => Call(Ops.Clear);

    /// <summary>A snapshot of the items (Python's <c>list(l)</c>).</summary>
    public List<object?> ToList() => (List<object?>)Call(Ops.Items)!;
}
