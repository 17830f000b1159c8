namespace Plexus.Processes;

/// <summary>
/// What a pool of worker processes offers, wherever its workers run: <see cref="ProcessPool"/> runs
/// them on this machine, <c>Plexus.Redis.RedisPool</c> on any host that reaches a Redis server. Code
/// written against this interface moves from one machine to many by changing the constructor.
/// </summary>
/// <remarks>
/// Targets are static methods (or lambdas that capture nothing); arguments travel by their declared
/// parameter types and results by the return type. A task that throws fails with
/// <see cref="ChildProcessException"/> carrying the remote exception's type, message and stack.
/// </remarks>
public interface IProcessPool : IDisposable, IAsyncDisposable
{
    /// <summary>Runs <paramref name="func"/> in a worker and waits for its result (Python's <c>apply</c>).</summary>
    TResult Apply<TResult>(Func<TResult> func, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="func"/>(<paramref name="arg1"/>) in a worker and waits for its result.</summary>
    TResult Apply<T1, TResult>(Func<T1, TResult> func, T1 arg1, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="func"/>(<paramref name="arg1"/>, <paramref name="arg2"/>) in a worker and waits for its result.</summary>
    TResult Apply<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="func"/>(<paramref name="arg1"/>) in a worker and waits for its result.</summary>
    TResult Apply<T1, TResult>(Func<T1, TResult> func, T1 arg1) => Apply(func, arg1, CancellationToken.None);

    /// <summary>Queues <paramref name="func"/> (Python's <c>apply_async</c>); callbacks run in this process on a thread-pool thread.</summary>
    AsyncResult<TResult> ApplyAsync<TResult>(Func<TResult> func, Action<TResult>? callback = null, Action<Exception>? errorCallback = null);

    /// <summary>Queues <paramref name="func"/>(<paramref name="arg1"/>) (Python's <c>apply_async</c>).</summary>
    AsyncResult<TResult> ApplyAsync<T1, TResult>(Func<T1, TResult> func, T1 arg1, Action<TResult>? callback = null, Action<Exception>? errorCallback = null);

    /// <summary>Queues <paramref name="func"/> with two arguments (Python's <c>apply_async</c>).</summary>
    AsyncResult<TResult> ApplyAsync<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2, Action<TResult>? callback = null, Action<Exception>? errorCallback = null);

    /// <summary>Runs <paramref name="func"/> in a worker as a task; the token drops it while it is still queued.</summary>
    Task<TResult> SubmitAsync<TResult>(Func<TResult> func, CancellationToken cancellationToken = default);

    /// <summary>Runs <paramref name="func"/>(<paramref name="arg1"/>) in a worker as a task; the token drops it while it is still queued.</summary>
    Task<TResult> SubmitAsync<T1, TResult>(Func<T1, TResult> func, T1 arg1, CancellationToken cancellationToken = default);

    /// <summary>Runs <paramref name="func"/> with two arguments in a worker as a task; the token drops it while it is still queued.</summary>
    Task<TResult> SubmitAsync<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2, CancellationToken cancellationToken = default);

    /// <summary>Calls <paramref name="func"/> on every item in chunks and returns the results in order (Python's <c>map</c>).</summary>
    List<TResult> Map<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunkSize, CancellationToken cancellationToken);

    /// <summary>Calls <paramref name="func"/> on every item in chunks and returns the results in order (Python's <c>map</c>).</summary>
    List<TResult> Map<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunkSize = null) => Map(func, items, chunkSize, CancellationToken.None);

    /// <summary>Like <c>Map</c>, as a task.</summary>
    Task<List<TResult>> MapTaskAsync<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int? chunkSize = null, CancellationToken cancellationToken = default);

    /// <summary>Yields results in input order as they arrive (Python's <c>imap</c>).</summary>
    IEnumerable<TResult> Imap<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize, CancellationToken cancellationToken);

    /// <summary>Yields results in the order they finish (Python's <c>imap_unordered</c>).</summary>
    IEnumerable<TResult> ImapUnordered<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize, CancellationToken cancellationToken);

    /// <summary>Streams results in input order without blocking a thread.</summary>
    IAsyncEnumerable<TResult> ImapAsync<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize = 1, CancellationToken cancellationToken = default);

    /// <summary>Streams results in the order they finish without blocking a thread.</summary>
    IAsyncEnumerable<TResult> ImapUnorderedAsync<T, TResult>(Func<T, TResult> func, IEnumerable<T> items, int chunkSize = 1, CancellationToken cancellationToken = default);

    /// <summary>Calls <paramref name="func"/> with each pair of arguments, results in order (Python's <c>starmap</c>).</summary>
    List<TResult> Starmap<T1, T2, TResult>(Func<T1, T2, TResult> func, IEnumerable<(T1, T2)> items, int? chunkSize, CancellationToken cancellationToken);

    /// <summary>Refuses new tasks; queued and running ones still complete (Python's <c>close</c>).</summary>
    void Close();
}
