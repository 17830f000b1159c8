using System.Collections;
using MessagePack;
using Plexus.Processes.Serialization;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A list served by a <see cref="ProcessManager"/> (Python's <c>Manager().list()</c> proxy). An index out of
/// range throws <see cref="ArgumentOutOfRangeException"/>, as <see cref="List{T}"/> does.
/// </summary>
/// <remarks>
/// It is an <see cref="IList{T}"/>: each member is one call to the manager. Enumerating it and
/// <see cref="CopyTo"/> work on a snapshot of the items read in one call, so a loop sees the list as it
/// was when the loop started, whatever other processes change meanwhile (an index-based loop over
/// <see cref="Count"/> does not: the list may change between calls).
/// </remarks>
public sealed class ManagedList : ManagedProxy, IProcessShareable<ManagedList>, IList<object?>
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

    /// <summary>The index of the first equal item, or -1 (Python's <c>l.index(x)</c>, without the exception).</summary>
    public int IndexOf(object? item) => As<int>(Call(Ops.IndexOf, item));

    /// <summary>True when an equal item is in the list (Python's <c>x in l</c>).</summary>
    public bool Contains(object? item) => As<bool>(Call(Ops.Contains, item));

    /// <summary>Copies a snapshot of the items, read in one call, into <paramref name="array"/>.</summary>
    public void CopyTo(object?[] array, int arrayIndex) => ToList().CopyTo(array, arrayIndex);

    /// <summary>Enumerates a snapshot of the items read in one call when the enumeration starts.</summary>
    public IEnumerator<object?> GetEnumerator() => ToList().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    bool ICollection<object?>.IsReadOnly => false;

    /// <summary>A snapshot of the items (Python's <c>list(l)</c>).</summary>
    public List<object?> ToList() => (List<object?>)Call(Ops.Items)!;
}
