using System.Collections;
using System.Diagnostics.CodeAnalysis;
using MessagePack;
using Plexus.Processes.Serialization;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A dictionary served by a <see cref="ProcessManager"/> (Python's <c>Manager().dict()</c> proxy). Keys and
/// values are object-typed (mixed keys such as <c>1</c>, <c>"2"</c>, <c>0.25</c> work); a value that is
/// another proxy is stored as that shared object. A missing key throws <see cref="KeyNotFoundException"/>.
/// </summary>
/// <remarks>
/// It is an <see cref="IDictionary{TKey, TValue}"/>: each member is one call to the manager. Enumerating it,
/// <see cref="ICollection{T}.CopyTo"/> and the <c>Keys</c>/<c>Values</c> collections work on a snapshot of
/// the entries read in one call, so a loop sees the dictionary as it was when the loop started, whatever
/// other processes change meanwhile. Removing an entry by key and value is not offered (it could not be
/// one step): <see cref="ICollection{T}.Remove"/> throws <see cref="NotSupportedException"/>.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Python's manager proxy names: dict and Queue.")]
public sealed class ManagedDictionary : ManagedProxy, IProcessShareable<ManagedDictionary>, IDictionary<object, object?>
{
    internal ManagedDictionary(ManagerClient client, int id) : base(client, id, ManagerKinds.Dictionary) { }

    static ManagedDictionary IProcessShareable<ManagedDictionary>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, _) = ReadProxy(ref reader);
        return new ManagedDictionary(client, id);
    }

    /// <summary>Gets or sets the value for <paramref name="key"/> (Python's <c>d[k]</c>).</summary>
    public object? this[object key]
    {
        get => Call(Ops.Get, key);
        set => Call(Ops.Set, key, value);
    }

    /// <summary>The number of entries (Python's <c>len(d)</c>).</summary>
    public int Count => As<int>(Call(Ops.Count));

    /// <summary>The value for <paramref name="key"/> converted to <typeparamref name="T"/>.</summary>
    public T Get<T>(object key) => As<T>(Call(Ops.Get, key));

    /// <summary>Python's <c>d.get(k, default)</c>: the value, or <paramref name="fallback"/> when the key is missing.</summary>
    public object? GetOrDefault(object key, object? fallback = null) => Call(Ops.GetOrDefault, key, fallback);

    /// <summary>True when <paramref name="key"/> is present (Python's <c>k in d</c>).</summary>
    public bool ContainsKey(object key) => As<bool>(Call(Ops.Contains, key));

    /// <summary>Removes <paramref name="key"/>; true when it was present.</summary>
    public bool Remove(object key) => As<bool>(Call(Ops.Remove, key));

    /// <summary>Removes every entry.</summary>
    public void Clear() => Call(Ops.Clear);

    /// <summary>Adds <paramref name="delta"/> to the number at <paramref name="key"/> in one call (missing = 0); returns the new value.</summary>
    public long Increment(object key, long delta = 1) => As<long>(Call(Ops.Increment, key, delta));

    /// <summary>Sets many entries in one call (Python's <c>d.update(...)</c>).</summary>
    public void Update(IEnumerable<KeyValuePair<object, object?>> entries) =>
        Call(Ops.Update, entries.ToDictionary(kv => kv.Key, kv => kv.Value));

    /// <summary>Gets many values in one call (missing keys give null).</summary>
    public object?[] GetMany(IEnumerable<object> keys) => ((List<object?>)Call(Ops.GetMany, (object)keys.Cast<object?>().ToArray())!).ToArray();

    /// <summary>A snapshot of the entries (Python's <c>dict(d)</c> / <c>d.items()</c>).</summary>
    public Dictionary<object, object?> Items() => (Dictionary<object, object?>)Call(Ops.Items)!;

    /// <summary>A snapshot of the keys.</summary>
    public List<object?> Keys() => (List<object?>)Call(Ops.Keys)!;

    /// <summary>A snapshot of the values.</summary>
    public List<object?> Values() => (List<object?>)Call(Ops.Values)!;

    /// <summary>Adds an entry; throws <see cref="ArgumentException"/> when the key is already there (as <see cref="Dictionary{TKey, TValue}.Add"/>).</summary>
    public void Add(object key, object? value) => Call(Ops.Add, key, value);

    /// <summary>The value for <paramref name="key"/>, read in one call; false when the key is missing.</summary>
    public bool TryGetValue(object key, [MaybeNullWhen(false)] out object? value)
    {
        object?[] r = (object?[])Call(Ops.TryGetValue, key)!;
        value = r[1];
        return r[0] is true;
    }

    /// <summary>Enumerates a snapshot of the entries read in one call when the enumeration starts.</summary>
    public IEnumerator<KeyValuePair<object, object?>> GetEnumerator() => Items().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    ICollection<object> IDictionary<object, object?>.Keys => Items().Keys;

    ICollection<object?> IDictionary<object, object?>.Values => Items().Values;

    bool ICollection<KeyValuePair<object, object?>>.IsReadOnly => false;

    void ICollection<KeyValuePair<object, object?>>.Add(KeyValuePair<object, object?> item) => Add(item.Key, item.Value);

    bool ICollection<KeyValuePair<object, object?>>.Contains(KeyValuePair<object, object?> item) =>
        TryGetValue(item.Key, out object? value) && Equals(value, item.Value);

    void ICollection<KeyValuePair<object, object?>>.CopyTo(KeyValuePair<object, object?>[] array, int arrayIndex) =>
        ((ICollection<KeyValuePair<object, object?>>)Items()).CopyTo(array, arrayIndex);

    bool ICollection<KeyValuePair<object, object?>>.Remove(KeyValuePair<object, object?> item) =>
        throw new NotSupportedException("a managed dictionary cannot remove an entry by key and value in one step; use Remove(key)");

    /// <summary>Sets a value without waiting for the manager's answer to this call alone (pipelined).</summary>
    public Task SetAsync(object key, object? value) => CallAsync(Ops.Set, key, value);

    /// <summary>Gets a value with other calls in flight (pipelined).</summary>
    public Task<object?> GetAsync(object key) => CallAsync(Ops.Get, key);
}
