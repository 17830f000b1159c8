using static Plexus.Processes.OperationArgs;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>A single value the manager serves (<see cref="ManagedValue{T}"/>).</summary>
internal sealed class ServedValue(int id, object? initial) : IServedObject
{
    private object? _value = initial;

    public int Id { get; } = id;

    public string Kind => ManagerKinds.Value;

    public object? Invoke(string operation, object?[] args, DeferredCall caller) => operation switch
    {
        Ops.Get => _value,
        Ops.Set => _value = At(args, 0, operation),
        _ => throw NoOperation("value", operation),
    };
}
