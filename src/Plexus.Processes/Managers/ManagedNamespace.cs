using MessagePack;
using Plexus.Processes.Serialization;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A namespace served by a <see cref="ProcessManager"/> (Python's <c>Manager().Namespace()</c>): attributes
/// set and read by name. A missing attribute throws <see cref="KeyNotFoundException"/>.
/// </summary>
public sealed class ManagedNamespace : ManagedProxy, IProcessShareable<ManagedNamespace>
{
    internal ManagedNamespace(ManagerClient client, int id) : base(client, id, ManagerKinds.Namespace) { }

    static ManagedNamespace IProcessShareable<ManagedNamespace>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, _) = ReadProxy(ref reader);
        return new ManagedNamespace(client, id);
    }

    /// <summary>Gets or sets the attribute <paramref name="name"/> (Python's <c>ns.name</c>).</summary>
    public object? this[string name]
    {
        get => Call(Ops.Get, name);
        set => Call(Ops.Set, name, value);
    }

    /// <summary>The attribute <paramref name="name"/> converted to <typeparamref name="T"/>.</summary>
    public T Get<T>(string name) => As<T>(Call(Ops.Get, name));

    /// <summary>True when the attribute exists (Python's <c>hasattr</c>).</summary>
    public bool Has(string name) => As<bool>(Call(Ops.Contains, name));

    /// <summary>A snapshot of every attribute.</summary>
    public Dictionary<object, object?> Items() => (Dictionary<object, object?>)Call(Ops.Items)!;
}
