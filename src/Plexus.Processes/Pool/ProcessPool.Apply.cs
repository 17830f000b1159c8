namespace Plexus.Processes;

// Single tasks: apply, apply_async, and the Task-returning submit.
public sealed partial class ProcessPool
{
    /// <summary>Runs <paramref name="func"/> in a worker and waits for its result (Python's <c>apply</c>).</summary>
    /// <exception cref="ChildProcessException">The task threw in the worker.</exception>
    /// <exception cref="ProcessPoolWorkerDiedException">The worker died while running it.</exception>
    /// <exception cref="ProcessPoolInitializerException">The pool is broken: its initializer keeps throwing.</exception>
    public TResult Apply<TResult>(Func<TResult> func) => Run(SingleNone<TResult>(func, null, null), default);

    /// <summary>
    /// Like <see cref="Apply{TResult}(Func{TResult})"/>; cancelling <paramref name="cancellationToken"/>
    /// removes the task if it is still queued and stops waiting for it (a running task runs on).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public TResult Apply<TResult>(Func<TResult> func, CancellationToken cancellationToken) => Run(SingleNone<TResult>(func, null, null), cancellationToken);

    /// <summary>Runs <paramref name="func"/>(<paramref name="arg1"/>) in a worker and waits for its result (Python's <c>apply</c>).</summary>
    public TResult Apply<T1, TResult>(Func<T1, TResult> func, T1 arg1) => Run(SingleOne<T1, TResult>(func, arg1, null, null), default);

    /// <summary>Runs <paramref name="func"/>(<paramref name="arg1"/>) in a worker and waits until it is done or <paramref name="cancellationToken"/> is cancelled.</summary>
    public TResult Apply<T1, TResult>(Func<T1, TResult> func, T1 arg1, CancellationToken cancellationToken)
        => Run(SingleOne<T1, TResult>(func, arg1, null, null), cancellationToken);

    /// <summary>Runs <paramref name="func"/> with two arguments in a worker and waits for its result (Python's <c>apply</c>).</summary>
    public TResult Apply<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2) => Run(SingleArgs<TResult>(func, [arg1, arg2], null, null), default);

    /// <summary>Runs <paramref name="func"/> with two arguments in a worker and waits until it is done or <paramref name="cancellationToken"/> is cancelled.</summary>
    public TResult Apply<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2, CancellationToken cancellationToken)
        => Run(SingleArgs<TResult>(func, [arg1, arg2], null, null), cancellationToken);

    /// <summary>Runs <paramref name="action"/>(<paramref name="arg1"/>) in a worker and waits for it to finish (Python's <c>apply</c>).</summary>
    public void Apply<T1>(Action<T1> action, T1 arg1) => Run(SingleArgs<object?>(action, [arg1], null, null), default);

    /// <summary>Runs <paramref name="action"/>(<paramref name="arg1"/>) in a worker and waits until it is done or <paramref name="cancellationToken"/> is cancelled.</summary>
    public void Apply<T1>(Action<T1> action, T1 arg1, CancellationToken cancellationToken) => Run(SingleArgs<object?>(action, [arg1], null, null), cancellationToken);

    /// <summary>Runs any static <paramref name="func"/> with <paramref name="args"/> in a worker and waits (Python's <c>apply(func, args)</c>).</summary>
    public object? Apply(Delegate func, params object?[] args) => Run(SingleArgs<object?>(func, args ?? [null], null, null), default);

    /// <summary>Runs any static <paramref name="func"/> with <paramref name="args"/> in a worker and waits until it is done or <paramref name="cancellationToken"/> is cancelled.</summary>
    public object? Apply(Delegate func, object?[] args, CancellationToken cancellationToken)
        => Run(SingleArgs<object?>(func, args ?? [null], null, null), cancellationToken);

    /// <summary>Queues <paramref name="func"/> (Python's <c>apply_async</c>); <c>await</c> the result or call <see cref="AsyncResult{T}.Get(TimeSpan?)"/>.</summary>
    /// <param name="func">The task.</param>
    /// <param name="callback">Runs in this process, on a thread-pool thread, with the result, before the result is ready.</param>
    /// <param name="errorCallback">Runs in this process, on a thread-pool thread, with the exception when the task fails.</param>
    public AsyncResult<TResult> ApplyAsync<TResult>(Func<TResult> func, Action<TResult>? callback = null, Action<Exception>? errorCallback = null)
        => Submit(SingleNone(func, callback, errorCallback), default).Result;

    /// <summary>Queues <paramref name="func"/>(<paramref name="arg1"/>) (Python's <c>apply_async</c>); see <see cref="ApplyAsync{TResult}(Func{TResult}, Action{TResult}?, Action{Exception}?)"/>.</summary>
    public AsyncResult<TResult> ApplyAsync<T1, TResult>(Func<T1, TResult> func, T1 arg1, Action<TResult>? callback = null, Action<Exception>? errorCallback = null)
        => Submit(SingleOne(func, arg1, callback, errorCallback), default).Result;

    /// <summary>Queues <paramref name="func"/> with two arguments (Python's <c>apply_async</c>).</summary>
    public AsyncResult<TResult> ApplyAsync<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2, Action<TResult>? callback = null, Action<Exception>? errorCallback = null)
        => Submit(SingleArgs(func, [arg1, arg2], callback, errorCallback), default).Result;

    /// <summary>Queues any static <paramref name="func"/> with <paramref name="args"/> (Python's <c>apply_async(func, args, callback=, error_callback=)</c>).</summary>
    public AsyncResult<object?> ApplyAsync(Delegate func, object?[] args, Action<object?>? callback = null, Action<Exception>? errorCallback = null)
        => Submit(SingleArgs(func, args, callback, errorCallback), default).Result;

    /// <summary>Runs <paramref name="func"/> in a worker; cancelling <paramref name="cancellationToken"/> removes it if it has not been sent to a worker yet.</summary>
    public Task<TResult> SubmitAsync<TResult>(Func<TResult> func, CancellationToken cancellationToken = default)
        => Submit(SingleNone<TResult>(func, null, null), cancellationToken).Result.Task;

    /// <summary>Runs <paramref name="func"/>(<paramref name="arg1"/>) in a worker; the token cancels it while it is still queued.</summary>
    public Task<TResult> SubmitAsync<T1, TResult>(Func<T1, TResult> func, T1 arg1, CancellationToken cancellationToken = default)
        => Submit(SingleOne<T1, TResult>(func, arg1, null, null), cancellationToken).Result.Task;

    /// <summary>Runs <paramref name="func"/> with two arguments in a worker; the token cancels it while it is still queued.</summary>
    public Task<TResult> SubmitAsync<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2, CancellationToken cancellationToken = default)
        => Submit(SingleArgs<TResult>(func, [arg1, arg2], null, null), cancellationToken).Result.Task;

    /// <summary>Queues <paramref name="job"/> and waits for its result.</summary>
    private TResult Run<TResult>(PoolSingleJob<TResult> job, CancellationToken cancellationToken)
        // A cancellable wait must not read the worker's pipe itself: a thread blocked in a read does not see the token.
        => Submit(job, cancellationToken, inline: !cancellationToken.CanBeCanceled).Result.Get(cancellationToken);

    private PoolSingleJob<TResult> SingleNone<TResult>(Delegate func, Action<TResult>? callback, Action<Exception>? errorCallback)
    {
        PoolTarget target = ToPoolTarget(func);
        return new PoolSingleJob<TResult>(NextId(), target, target.EncodeNone(), callback, errorCallback);
    }

    private PoolSingleJob<TResult> SingleOne<T1, TResult>(Delegate func, T1 arg1, Action<TResult>? callback, Action<Exception>? errorCallback)
    {
        PoolFastRunner.Keep<T1, TResult>();
        PoolTarget target = ToPoolTarget(func);
        return new PoolSingleJob<TResult>(NextId(), target, target.EncodeOne(arg1), callback, errorCallback);
    }

    private PoolSingleJob<TResult> SingleArgs<TResult>(Delegate func, object?[] args, Action<TResult>? callback, Action<Exception>? errorCallback)
    {
        PoolTarget target = ToPoolTarget(func);
        return new PoolSingleJob<TResult>(NextId(), target, target.EncodeArgs(args, nameof(args)), callback, errorCallback);
    }

    /// <summary>Job ids start at 1: id 0 is the worker's start-up report.</summary>
    private long NextId() => Interlocked.Increment(ref _jobCounter);

    /// <summary>Checks that <paramref name="func"/> can run in a worker and returns its <see cref="PoolTarget"/> (made once per method).</summary>
    // Caching by method is safe: a method that passed the checks once (static, or a lambda that
    // captures nothing) passes them for every delegate made from it.
    private PoolTarget ToPoolTarget(Delegate func)
    {
        ArgumentNullException.ThrowIfNull(func);
        return _targets.TryGetValue(func.Method, out PoolTarget? known) ? known : _targets.GetOrAdd(func.Method, PoolTarget.From(func));
    }
}
