namespace Plexus.Processes;

/// <summary>One call (apply, apply_async, submit): its result, and the callbacks that run before it is ready.</summary>
internal sealed class PoolSingleJob<TResult>(long id, PoolTarget target, byte[] payload, Action<TResult>? callback, Action<Exception>? errorCallback)
    : PoolJob(id, target, payload, PoolWire.Calls)
{
    private readonly Action<TResult>? _callback = callback;
    private readonly Action<Exception>? _errorCallback = errorCallback;

    public AsyncResult<TResult> Result { get; } = new();

    public override bool IsDone => Result.Ready;

    public override void Complete(ReadOnlyMemory<byte> payload, bool raw)
    {
        Registration.Dispose();
        TResult[] results;
        try
        {
            results = Target.ReadResults<TResult>(payload, raw);
            if (results.Length != 1)
            {
                throw new InvalidDataException($"the worker sent {results.Length} results for one call of {Target.Target.DisplayName}");
            }
        }
        catch (Exception e)
        {
            Fail(e);
            return;
        }
        if (_callback is null)
        {
            Result.TrySetResult(results[0]);
            return;
        }
        // Callbacks run on a thread-pool thread: never on the caller's thread or a reader (a slow
        // callback must not stall result delivery).
        ThreadPool.UnsafeQueueUserWorkItem(static state =>
        {
            var (job, value) = state;
            try
            {
                job._callback!(value);
                job.Result.TrySetResult(value);
            }
            catch (Exception e)
            {
                job.Result.TrySetException(e);
            }
        }, (this, results[0]), preferLocal: false);
    }

    public override void Fail(Exception error)
    {
        Registration.Dispose();
        if (_errorCallback is null)
        {
            Result.TrySetException(error);
            return;
        }
        ThreadPool.UnsafeQueueUserWorkItem(static state =>
        {
            var (job, error) = state;
            try
            {
                job._errorCallback!(error);
                job.Result.TrySetException(error);
            }
            catch (Exception e)
            {
                job.Result.TrySetException(e);
            }
        }, (this, error), preferLocal: false);
    }

    public override void Cancel(CancellationToken token)
    {
        if (_errorCallback is null)
        {
            Result.TrySetCanceled(token);
            return;
        }
        Fail(new TaskCanceledException("the task was cancelled before it was sent to a worker", null, token));
    }
}
