using static Plexus.Processes.OperationArgs;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// A fixed-length array the manager serves (<see cref="ManagedArray{T}"/>, Python's
/// <c>Manager().Array(typecode, sequence)</c>): items are read and written by index; its length never
/// changes. A bad index throws what an array throws.
/// </summary>
internal sealed class ServedArray(int id, object?[]? initial) : IServedObject
{
    private readonly object?[] _items = initial ?? [];

    public int Id { get; } = id;

    public string Kind => ManagerKinds.Array;

    public object? Invoke(string operation, object?[] args, DeferredCall caller)
    {
        switch (operation)
        {
            case Ops.Get:
                return _items[InRange(Index(args, 0, operation))];
            case Ops.Set:
                _items[InRange(Index(args, 0, operation))] = At(args, 1, operation);
                return null;
            case Ops.Count:
                return _items.Length;
            case Ops.Items:
                return new List<object?>(_items);
            default:
                throw NoOperation(Kind, operation);
        }
    }

    private int InRange(int index) => (uint)index < (uint)_items.Length
        ? index
        : throw new ArgumentOutOfRangeException(null, $"index {index} is outside the managed array of length {_items.Length}");
}
