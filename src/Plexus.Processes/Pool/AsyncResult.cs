namespace Plexus.Processes;

/// <summary>
/// The pending result of a <see cref="ProcessPool"/> task; mirrors Python's
/// <c>multiprocessing.pool.AsyncResult</c> and also exposes the result as a <see cref="Task{TResult}"/>.
/// </summary>
/// <typeparam name="T">The task's result type.</typeparam>
public sealed class AsyncResult<T>
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal AsyncResult() { }

    /// <summary>The result as a task: completes with the value, faults with the task's exception.</summary>
    public Task<T> Task => _completion.Task;

    /// <summary>Whether the task has finished (Python's <c>ready()</c>).</summary>
    public bool Ready => _completion.Task.IsCompleted;

    /// <summary>Whether the task finished without an exception (Python's <c>successful()</c>).</summary>
    /// <exception cref="InvalidOperationException">The task has not finished yet (Python raises ValueError).</exception>
    public bool Successful => Ready
        ? _completion.Task.IsCompletedSuccessfully
        : throw new InvalidOperationException("the task has not finished yet; call Wait() or check Ready before Successful");

    /// <summary>Waits for the task to finish (Python's <c>wait(timeout)</c>).</summary>
    /// <returns><c>true</c> when it finished within <paramref name="timeout"/>.</returns>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public bool Wait(TimeSpan? timeout = null)
    {
        try
        {
            return _completion.Task.Wait(timeout ?? Timeout.InfiniteTimeSpan);
        }
        catch (AggregateException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    /// <summary>Waits for and returns the result (Python's <c>get(timeout)</c>).</summary>
    /// <exception cref="TimeoutException">The result did not arrive within <paramref name="timeout"/>.</exception>
    /// <exception cref="ChildProcessException">The task threw in the worker (type, message and stack of the worker's exception).</exception>
    /// <exception cref="ProcessPoolWorkerDiedException">The worker running the task died.</exception>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public T Get(TimeSpan? timeout = null)
    {
        if (!Wait(timeout))
        {
            throw new TimeoutException($"the pool task did not finish within {timeout}; it is still running (call Get again to keep waiting)");
        }
        return _completion.Task.GetAwaiter().GetResult();
    }

    internal bool TrySetResult(T value) => _completion.TrySetResult(value);

    internal bool TrySetException(Exception error) => _completion.TrySetException(error);

    internal bool TrySetCanceled(CancellationToken token) => _completion.TrySetCanceled(token);
}
