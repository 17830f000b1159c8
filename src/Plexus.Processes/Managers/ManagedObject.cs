using MessagePack;
using Plexus.Processes.Serialization;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A proxy of an instance of a type registered with <see cref="ProcessManager.Register{T}(string)"/>
/// (Python's <c>BaseManager.register</c> proxy): its public methods are called by name in the manager.
/// A method the type does not have throws <see cref="InvalidOperationException"/>; arguments that do
/// not fit the method's parameters throw <see cref="ArgumentException"/>.
/// </summary>
public sealed class ManagedObject : ManagedProxy, IProcessShareable<ManagedObject>
{
    internal ManagedObject(ManagerClient client, int id, string kind) : base(client, id, kind) { }

    /// <summary>Calls <paramref name="method"/> and returns its result converted to <typeparamref name="T"/>.</summary>
    public T Invoke<T>(string method, params object?[] args) => As<T>(Call(Ops.Invoke, method, args));

    /// <summary>Calls <paramref name="method"/> and ignores its result.</summary>
    public void Invoke(string method, params object?[] args) => Call(Ops.Invoke, method, args);

    /// <summary>Calls <paramref name="method"/> with other calls in flight (pipelined).</summary>
    public Task<object?> InvokeAsync(string method, params object?[] args) => CallAsync(Ops.Invoke, method, args);

    static ManagedObject IProcessShareable<ManagedObject>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, string kind) = ReadProxy(ref reader);
        return new ManagedObject(client, id, kind);
    }
}
