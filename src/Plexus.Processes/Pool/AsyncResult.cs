using System.Runtime.CompilerServices;

namespace Plexus.Processes;

/// <summary>
/// The pending result of a <see cref="ProcessPool"/> task; mirrors Python's
/// <c>multiprocessing.pool.AsyncResult</c>, and can be awaited (<c>await pool.ApplyAsync(...)</c>).
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

    /// <summary>Lets <c>await</c> wait for the result without blocking a thread (as <see cref="Task"/>).</summary>
    public TaskAwaiter<T> GetAwaiter() => _completion.Task.GetAwaiter();

    /// <summary>Waits for the task to finish (Python's <c>wait(timeout)</c>).</summary>
    /// <returns><c>true</c> when it finished within <paramref name="timeout"/>.</returns>
    public bool Wait(TimeSpan? timeout = null) => Wait(timeout ?? Timeout.InfiniteTimeSpan, CancellationToken.None);

    /// <summary>Waits for the task to finish, or until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public void Wait(CancellationToken cancellationToken) => Wait(Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Waits for and returns the result (Python's <c>get(timeout)</c>).</summary>
    /// <exception cref="TimeoutException">The result did not arrive within <paramref name="timeout"/>.</exception>
    /// <exception cref="ChildProcessException">The task threw in the worker (type, message and stack of the worker's exception).</exception>
    /// <exception cref="ProcessPoolWorkerDiedException">The worker running the task died.</exception>
    /// <exception cref="ProcessPoolInitializerException">The pool is broken: its initializer keeps throwing.</exception>
    public T Get(TimeSpan? timeout = null)
    {
        if (!Wait(timeout ?? Timeout.InfiniteTimeSpan, CancellationToken.None))
        {
            throw new TimeoutException($"the pool task did not finish within {timeout}; it is still running (call Get again to keep waiting)");
        }
        return _completion.Task.GetAwaiter().GetResult();
    }

    /// <summary>Waits for and returns the result, or stops waiting when <paramref name="cancellationToken"/> is cancelled (the task runs on).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public T Get(CancellationToken cancellationToken)
    {
        Wait(Timeout.InfiniteTimeSpan, cancellationToken);
        return _completion.Task.GetAwaiter().GetResult();
    }

    internal bool TrySetResult(T value) => _completion.TrySetResult(value);

    internal bool TrySetException(Exception error) => _completion.TrySetException(error);

    internal bool TrySetCanceled(CancellationToken token) => _completion.TrySetCanceled(token);

    private bool Wait(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task<T> task = _completion.Task;
        if (task.IsCompleted)
        {
            return true;
        }
        try
        {
            return task.Wait(timeout, cancellationToken);
        }
        catch (Exception e) when (e is AggregateException or OperationCanceledException && task.IsCompleted)
        {
            return true; // it finished, with an error or cancelled: Get reports which
        }
    }
}
