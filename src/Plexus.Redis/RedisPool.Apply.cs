using Plexus.Processes.Serialization;
using Plexus.Processes;

namespace Plexus.Redis;

public sealed partial class RedisPool
{
    /// <summary>Runs <paramref name="func"/> on a worker and waits for its result (Python's <c>apply</c>).</summary>
    public TResult Apply<TResult>(Func<TResult> func) => Apply(func, CancellationToken.None);

    /// <summary>Runs <paramref name="func"/> on a worker and waits; the token stops the wait and drops the task if no worker has read it.</summary>
    public TResult Apply<TResult>(Func<TResult> func, CancellationToken cancellationToken) => Block(SubmitAsync(func, cancellationToken), cancellationToken);

    /// <summary>Runs <paramref name="func"/>(<paramref name="arg1"/>) on a worker and waits for its result.</summary>
    public TResult Apply<T1, TResult>(Func<T1, TResult> func, T1 arg1) => Apply(func, arg1, CancellationToken.None);

    /// <summary>Runs <paramref name="func"/>(<paramref name="arg1"/>) on a worker and waits, or until the token is cancelled.</summary>
    public TResult Apply<T1, TResult>(Func<T1, TResult> func, T1 arg1, CancellationToken cancellationToken) => Block(SubmitAsync(func, arg1, cancellationToken), cancellationToken);

    /// <summary>Runs <paramref name="func"/> with two arguments on a worker and waits for its result.</summary>
    public TResult Apply<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2) => Apply(func, arg1, arg2, CancellationToken.None);

    /// <summary>Runs <paramref name="func"/> with two arguments on a worker and waits, or until the token is cancelled.</summary>
    public TResult Apply<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2, CancellationToken cancellationToken)
        => Block(SubmitAsync(func, arg1, arg2, cancellationToken), cancellationToken);

    /// <summary>Runs any static <paramref name="func"/> with <paramref name="args"/> on a worker and waits, or until the token is cancelled.</summary>
    public object? Apply(Delegate func, object?[] args, CancellationToken cancellationToken = default)
    {
        PoolTarget target = ToPoolTarget(func);
        byte[] calls;
        using (PlexusSerializer.LeavingHost())
        {
            calls = target.EncodeArgs(args ?? [null], nameof(args));
        }
        return Block(First(SubmitEncoded<object?>(target, calls, 1, true, cancellationToken)), cancellationToken);
    }

    /// <summary>Queues <paramref name="func"/> (Python's <c>apply_async</c>); callbacks run in this process on a thread-pool thread before the result is ready.</summary>
    public AsyncResult<TResult> ApplyAsync<TResult>(Func<TResult> func, Action<TResult>? callback = null, Action<Exception>? errorCallback = null)
        => WithCallbacks(SubmitAsync(func), callback, errorCallback);

    /// <summary>Queues <paramref name="func"/>(<paramref name="arg1"/>) (Python's <c>apply_async</c>).</summary>
    public AsyncResult<TResult> ApplyAsync<T1, TResult>(Func<T1, TResult> func, T1 arg1, Action<TResult>? callback = null, Action<Exception>? errorCallback = null)
        => WithCallbacks(SubmitAsync(func, arg1), callback, errorCallback);

    /// <summary>Queues <paramref name="func"/> with two arguments (Python's <c>apply_async</c>).</summary>
    public AsyncResult<TResult> ApplyAsync<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2, Action<TResult>? callback = null, Action<Exception>? errorCallback = null)
        => WithCallbacks(SubmitAsync(func, arg1, arg2), callback, errorCallback);

    /// <summary>Runs <paramref name="func"/> on a worker; cancelling drops the task if no worker has read it and stops the wait.</summary>
    public Task<TResult> SubmitAsync<TResult>(Func<TResult> func, CancellationToken cancellationToken = default)
    {
        PoolTarget target = ToPoolTarget(func);
        return First(SubmitEncoded<TResult>(target, target.EncodeNone(), 1, true, cancellationToken));
    }

    /// <summary>Runs <paramref name="func"/>(<paramref name="arg1"/>) on a worker; the token drops it while no worker has read it.</summary>
    public Task<TResult> SubmitAsync<T1, TResult>(Func<T1, TResult> func, T1 arg1, CancellationToken cancellationToken = default)
    {
        PoolTarget target = ToPoolTarget(func);
        byte[] calls;
        using (PlexusSerializer.LeavingHost())
        {
            calls = target.EncodeOne(arg1);
        }
        return First(SubmitEncoded<TResult>(target, calls, 1, true, cancellationToken));
    }

    /// <summary>Runs <paramref name="func"/> with two arguments on a worker; the token drops it while no worker has read it.</summary>
    public Task<TResult> SubmitAsync<T1, T2, TResult>(Func<T1, T2, TResult> func, T1 arg1, T2 arg2, CancellationToken cancellationToken = default)
    {
        PoolTarget target = ToPoolTarget(func);
        byte[] calls;
        using (PlexusSerializer.LeavingHost())
        {
            calls = target.EncodeArgs([arg1, arg2], "args");
        }
        return First(SubmitEncoded<TResult>(target, calls, 1, true, cancellationToken));
    }

    private static async Task<TResult> First<TResult>(Task<TResult[]> results) => (await results.ConfigureAwait(false))[0];

    private static T Block<T>(Task<T> task, CancellationToken cancellationToken)
        => (cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task).GetAwaiter().GetResult();

    private static AsyncResult<T> WithCallbacks<T>(Task<T> task, Action<T>? callback, Action<Exception>? errorCallback)
    {
        var result = new AsyncResult<T>();
        task.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully)
            {
                try
                {
                    callback?.Invoke(t.Result);
                }
                finally
                {
                    result.TrySetResult(t.Result);
                }
                return;
            }
            Exception error = t.Exception?.InnerException ?? new OperationCanceledException("the task was cancelled");
            try
            {
                errorCallback?.Invoke(error);
            }
            finally
            {
                result.TrySetException(error);
            }
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return result;
    }
}
