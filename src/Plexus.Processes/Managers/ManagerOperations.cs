namespace Plexus.Processes;

/// <summary>
/// The operation names of the manager protocol, used by the proxies that send them and the served
/// objects that run them, so the two sides cannot drift apart. Each is one wire string.
/// </summary>
internal static class ManagerOperations
{
    // Operations on the manager itself (object id 0).

    /// <summary>Makes (or finds, by name) a served object: kind, name or null, then the kind's initial arguments.</summary>
    public const string Create = "create";

    /// <summary>Stops the manager process.</summary>
    public const string Shutdown = "shutdown";

    /// <summary>Answers the manager's pid.</summary>
    public const string Ping = "ping";

    /// <summary>Hands the manager this connection's shared-memory channel (its memfd rides along with SCM_RIGHTS).</summary>
    public const string Attach = "attach";

    // Operations every served object answers.

    /// <summary>Gives up a waiting call of this connection (argument: its call id); it then fails with <see cref="OperationCanceledException"/>.</summary>
    public const string Cancel = "cancel";

    // Dictionaries, namespaces, lists, values.

    /// <summary>Reads by key or index (a value: no argument).</summary>
    public const string Get = "get";

    /// <summary>Writes by key or index (a value: the new value).</summary>
    public const string Set = "set";

    /// <summary>The number of entries or items.</summary>
    public const string Count = "count";

    /// <summary>Removes everything.</summary>
    public const string Clear = "clear";

    /// <summary>A snapshot of the entries or items.</summary>
    public const string Items = "items";

    /// <summary>Removes a key or the first equal item; answers whether one was there.</summary>
    public const string Remove = "remove";

    /// <summary>A dictionary's value, or the given fallback when the key is missing.</summary>
    public const string GetOrDefault = "getdefault";

    /// <summary>Whether a dictionary has the key.</summary>
    public const string Contains = "contains";

    /// <summary>Adds to the number at a key (missing = 0) and answers the new value.</summary>
    public const string Increment = "increment";

    /// <summary>Sets many dictionary entries.</summary>
    public const string Update = "update";

    /// <summary>Reads many dictionary values (missing keys give null).</summary>
    public const string GetMany = "getmany";

    /// <summary>A snapshot of a dictionary's keys.</summary>
    public const string Keys = "keys";

    /// <summary>A snapshot of a dictionary's values.</summary>
    public const string Values = "values";

    /// <summary>Appends one item to a list.</summary>
    public const string Add = "add";

    /// <summary>Appends many items to a list.</summary>
    public const string Extend = "extend";

    /// <summary>Inserts an item into a list at an index.</summary>
    public const string Insert = "insert";

    /// <summary>Removes a list's item at an index.</summary>
    public const string RemoveAt = "removeat";

    // Queues.

    /// <summary>Adds an item at the queue's tail (and hands it to the longest waiting get, if any).</summary>
    public const string Put = "put";

    /// <summary>Takes the queue's head without waiting: answers [true, item] or [false, null].</summary>
    public const string TryGet = "tryget";

    // Locks (<see cref="Get"/> on a queue and <see cref="Acquire"/> wait, and can be cancelled).

    /// <summary>Takes the lock, waiting while another connection holds it.</summary>
    public const string Acquire = "acquire";

    /// <summary>Takes the lock if it is free; answers whether it did.</summary>
    public const string TryAcquire = "tryacquire";

    /// <summary>Releases the lock.</summary>
    public const string Release = "release";

    /// <summary>A dictionary's value if the key is there: answers [true, value] or [false, null].</summary>
    public const string TryGetValue = "trygetvalue";

    /// <summary>A list's index of the first equal item, or -1.</summary>
    public const string IndexOf = "indexof";

    // RLocks and conditions (their lock calls carry the caller's thread id first), events, semaphores, barriers.

    /// <summary>Waits: an event until set, a condition until notified (releasing its lock meanwhile), a barrier until all parties came.</summary>
    public const string Wait = "wait";

    /// <summary>Whether an event is set, or a barrier broken.</summary>
    public const string IsSet = "isset";

    /// <summary>Wakes up to n of a condition's waiters (argument: the caller's thread id, n).</summary>
    public const string Notify = "notify";

    /// <summary>Wakes every waiter of a condition (argument: the caller's thread id).</summary>
    public const string NotifyAll = "notifyall";

    /// <summary>Breaks a barrier: its waiters and later callers fail until it is reset.</summary>
    public const string Abort = "abort";

    /// <summary>Returns a barrier to its initial state; its current waiters fail.</summary>
    public const string Reset = "reset";

    /// <summary>How many parties a barrier waits for.</summary>
    public const string Parties = "parties";

    // Joinable queues.

    /// <summary>Marks one item taken from a joinable queue as done.</summary>
    public const string TaskDone = "taskdone";

    /// <summary>Waits until every item put in a joinable queue is marked done.</summary>
    public const string Join = "join";

    // Registered types.

    /// <summary>Calls a public method of a registered type's instance by name: the name, then the arguments.</summary>
    public const string Invoke = "invoke";
}
