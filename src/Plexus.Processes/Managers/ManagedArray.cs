using System.Collections;
using MessagePack;
using Plexus.Processes.Serialization;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A fixed-length array served by a <see cref="ProcessManager"/> (Python's <c>Manager().Array(typecode, seq)</c>):
/// items are read and written by index, one call each. Enumerating it reads a snapshot of every item
/// in one call, so a loop sees the array as it was at that moment.
/// </summary>
/// <typeparam name="T">The items' type on this side.</typeparam>
public sealed class ManagedArray<T> : ManagedProxy, IProcessShareable<ManagedArray<T>>, IReadOnlyList<T>
{
    internal ManagedArray(ManagerClient client, int id) : base(client, id, ManagerKinds.Array) { }

    static ManagedArray<T> IProcessShareable<ManagedArray<T>>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, _) = ReadProxy(ref reader);
        return new ManagedArray<T>(client, id);
    }

    /// <summary>Gets or sets the item at <paramref name="index"/> (Python's <c>a[i]</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside the array.</exception>
    public T this[int index]
    {
        get => As<T>(Call(Ops.Get, index));
        set => Call(Ops.Set, index, value);
    }

    /// <summary>The array's length (Python's <c>len(a)</c>); it never changes.</summary>
    public int Count => As<int>(Call(Ops.Count));

    /// <summary>A snapshot of every item, read in one call (Python's <c>a[:]</c>).</summary>
    public T[] ToArray() => ((List<object?>)Call(Ops.Items)!).ConvertAll(As<T>).ToArray();

    /// <summary>Enumerates a snapshot taken in one call when the enumeration starts.</summary>
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)ToArray()).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
