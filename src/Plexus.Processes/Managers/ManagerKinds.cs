namespace Plexus.Processes;

/// <summary>
/// The names of the kinds a manager serves (<see cref="ManagedProxy.Kind"/>), shared by the manager,
/// the proxies and <see cref="ProcessManager.Register{T}(string)"/> (which refuses them as type names).
/// </summary>
internal static class ManagerKinds
{
    public const string Dictionary = "dict";
    public const string List = "list";
    public const string Namespace = "namespace";
    public const string Value = "value";
    public const string Queue = "queue";
    public const string Lock = "lock";
    public const string RLock = "rlock";
    public const string Event = "event";
    public const string Condition = "condition";
    public const string Semaphore = "semaphore";
    public const string BoundedSemaphore = "boundedsemaphore";
    public const string Barrier = "barrier";
    public const string Array = "array";
    public const string JoinableQueue = "joinablequeue";

    /// <summary>True for a built-in kind's name.</summary>
    public static bool IsBuiltIn(string name) => name is Dictionary or List or Namespace or Value or Queue or Lock
        or RLock or Event or Condition or Semaphore or BoundedSemaphore or Barrier or Array or JoinableQueue;
}
