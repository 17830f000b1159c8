using static Plexus.Processes.OperationArgs;

namespace Plexus.Processes;

/// <summary>An instance of a registered type the manager serves (<see cref="ManagedObject"/>): its public methods are called by name.</summary>
internal sealed class ServedRegisteredObject(int id, string kind, object target) : IServedObject
{
    public int Id { get; } = id;

    public string Kind { get; } = kind;

    /// <summary>The instance itself.</summary>
    public object Target { get; } = target;

    public object? Invoke(string operation, object?[] args, DeferredCall caller)
    {
        if (operation != ManagerOperations.Invoke)
        {
            throw NoOperation(Kind, operation);
        }
        string method = At(args, 0, operation) as string ?? throw new ArgumentException("invoke needs a method name");
        object?[] callArgs = args.Length > 1 && args[1] is object?[] a ? a : [];
        // A served object passed to a method is the instance it serves, as the method's signature expects.
        for (int i = 0; i < callArgs.Length; i++)
        {
            if (callArgs[i] is ServedRegisteredObject registered)
            {
                callArgs[i] = registered.Target;
            }
        }
        object? result = RegisteredTypeInvoker.Call(Target, method, callArgs);
        return ReferenceEquals(result, Target) ? this : result;
    }
}
