using static Plexus.Processes.OperationArgs;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>A list the manager serves (<see cref="ManagedList"/>); a bad index throws what <see cref="List{T}"/> throws.</summary>
internal sealed class ServedList(int id, object?[]? initial = null) : IServedObject
{
    private readonly List<object?> _items = initial is null ? [] : [.. initial];

    public int Id { get; } = id;

    public string Kind => ManagerKinds.List;

    public object? Invoke(string operation, object?[] args, DeferredCall caller)
    {
        List<object?> l = _items;
        switch (operation)
        {
            case Ops.Get:
                return l[Index(args, 0, operation)];
            case Ops.Set:
                l[Index(args, 0, operation)] = At(args, 1, operation);
                return null;
            case Ops.Add:
                l.Add(At(args, 0, operation));
                return null;
            case Ops.Extend:
                l.AddRange(Of<object?[]>(args, 0, operation, "an array"));
                return null;
            case Ops.Insert:
                l.Insert(Index(args, 0, operation), At(args, 1, operation));
                return null;
            case Ops.RemoveAt:
                l.RemoveAt(Index(args, 0, operation));
                return null;
            case Ops.Remove:
                return l.Remove(At(args, 0, operation));
            case Ops.Count:
                return l.Count;
            case Ops.Contains:
                return l.Contains(At(args, 0, operation));
            case Ops.IndexOf:
                return l.IndexOf(At(args, 0, operation));
            case Ops.Clear:
                l.Clear();
                return null;
            case Ops.Items:
                return new List<object?>(l);
            default:
                throw NoOperation("list", operation);
        }
    }
}
