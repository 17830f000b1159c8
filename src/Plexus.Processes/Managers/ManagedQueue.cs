using Plexus.Processes.Serialization;
using MessagePack;

namespace Plexus.Processes;

/// <summary>
/// A FIFO queue served by a <see cref="ProcessManager"/> (Python's <c>Manager().Queue()</c>).
/// <see cref="Get"/> waits for an item; <see cref="TryGet"/> does not.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Python's manager proxy names: dict and Queue.")]
public sealed class ManagedQueue : ManagedProxy, IProcessShareable<ManagedQueue>
{
    internal ManagedQueue(ManagerClient client, int id) : base(client, id, "queue") { }

    static ManagedQueue IProcessShareable<ManagedQueue>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, _) = ReadProxy(ref reader);
        return new ManagedQueue(client, id);
    }

    /// <summary>Adds an item at the tail (Python's <c>q.put(x)</c>).</summary>
    public void Put(object? item) => Call("put", item);

    /// <summary>Removes the head item, waiting until there is one (Python's <c>q.get()</c>).</summary>
    public object? Get() => Call("get");

    /// <summary>Removes the head item if there is one (Python's <c>q.get_nowait()</c>, without the exception).</summary>
    public bool TryGet(out object? item)
    {
        object?[] r = (object?[])Call("tryget")!;
        item = r[1];
        return r[0] is true;
    }

    /// <summary>The number of items waiting (Python's <c>q.qsize()</c>).</summary>
    public int Count => As<int>(Call("count"));
}
