using MessagePack;
using Plexus.Processes.Serialization;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>A single value served by a <see cref="ProcessManager"/> (Python's <c>Manager().Value(typecode, v)</c>).</summary>
/// <typeparam name="T">The value's type on this side.</typeparam>
public sealed class ManagedValue<T> : ManagedProxy, IProcessShareable<ManagedValue<T>>
{
    internal ManagedValue(ManagerClient client, int id) : base(client, id, ManagerKinds.Value) { }

    /// <summary>Gets or sets the value (Python's <c>v.value</c>).</summary>
    public T Value
    {
        get => As<T>(Call(Ops.Get));
        set => Call(Ops.Set, value);
    }

    static ManagedValue<T> IProcessShareable<ManagedValue<T>>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, _) = ReadProxy(ref reader);
        return new ManagedValue<T>(client, id);
    }
}
