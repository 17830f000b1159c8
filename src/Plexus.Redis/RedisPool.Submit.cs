using Plexus.Processes.Serialization;
using Plexus.Processes;
using StackExchange.Redis;

namespace Plexus.Redis;

public sealed partial class RedisPool
{
    /// <summary>
    /// Adds one entry (a Batch of <paramref name="count"/> encoded calls) to the task stream and
    /// returns its results. Commands are not awaited one by one: the connection pipelines the
    /// entries of a map, so many chunks share a round trip.
    /// </summary>
    private Task<TResult[]> SubmitEncoded<TResult>(PoolTarget target, byte[] calls, int count, bool wakeWorkers, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        cancellationToken.ThrowIfCancellationRequested();
        string taskId = $"{_clientId}:{Interlocked.Increment(ref _sequence)}";
        var promise = new TaskCompletionSource<TResult[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = new RedisPendingTask(taskId, target.Target.DisplayName, reply => Finish(promise, target, reply, count),
            e => _ = e is OperationCanceledException cancelled ? promise.TrySetCanceled(cancelled.CancellationToken) : promise.TrySetException(e));
        _pending[taskId] = pending;
        NameValueEntry[] fields =
        [
            new("id", taskId),
            new("client", _clientId),
            new("target", target.Target.Hint),
            new("name", target.Target.DisplayName),
            new("calls", calls),
        ];
        Task<RedisValue> add = _db.StreamAddAsync(_keys.Tasks, fields);
        if (wakeWorkers)
        {
            _db.Publish(_tasksWake, "1", CommandFlags.FireAndForget);
        }
        add.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully)
            {
                pending.EntryId = t.Result;
            }
            else if (_pending.TryRemove(taskId, out _))
            {
                Exception error = t.Exception?.InnerException ?? new TaskCanceledException();
                promise.TrySetException(new RedisPoolConnectionException($"task {taskId} ({pending.Target}) could not be queued on redis at {_url.Display}: {error.Message}", error));
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        if (cancellationToken.CanBeCanceled)
        {
            CancellationTokenRegistration registration = cancellationToken.Register(() => Cancel(pending, cancellationToken));
            promise.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return promise.Task;
    }

    /// <summary>Stops waiting for <paramref name="task"/> and deletes its entry, so a worker that has not read it yet never will (one that has runs it; its reply is dropped).</summary>
    private void Cancel(RedisPendingTask task, CancellationToken token)
    {
        if (!_pending.TryRemove(task.TaskId, out _))
        {
            return;
        }
        task.Fail(new OperationCanceledException($"task {task.TaskId} ({task.Target}) was cancelled", token));
        if (!task.EntryId.IsNull && _connection.IsConnected)
        {
            _db.StreamDelete(_keys.Tasks, [task.EntryId], CommandFlags.FireAndForget);
        }
    }

    private static void Finish<TResult>(TaskCompletionSource<TResult[]> promise, PoolTarget target, RedisReply reply, int count)
    {
        try
        {
            switch (reply.Kind)
            {
                case RedisReplyKind.Ok:
                    TResult[] results;
                    using (PlexusSerializer.LeavingHost())
                    {
                        results = target.ReadResults<TResult>(reply.Results, raw: false);
                    }
                    if (results.Length != count)
                    {
                        throw new InvalidDataException($"task {reply.TaskId} ({target.Target.DisplayName}) answered {results.Length} results for {count} calls");
                    }
                    promise.TrySetResult(results);
                    break;
                case RedisReplyKind.Threw:
                    promise.TrySetException(new ChildProcessException(reply.ErrorType, reply.ErrorMessage, reply.ErrorStack, reply.Number, reply.Process));
                    break;
                default:
                    promise.TrySetException(new RedisTaskDeadLetteredException(reply.TaskId, target.Target.DisplayName, reply.Number, reply.ErrorMessage));
                    break;
            }
        }
        catch (Exception e)
        {
            promise.TrySetException(e);
        }
    }

    /// <summary>Starts a drain of this client's reply list, or asks the running one to go round once more.</summary>
    private void RequestDrain()
    {
        if (Interlocked.Increment(ref _drainRequests) == 1)
        {
            _ = Task.Run(DrainAsync);
        }
    }

    private async Task DrainAsync()
    {
        const int Batch = 512;
        int seen = Volatile.Read(ref _drainRequests);
        while (true)
        {
            try
            {
                while (!_disposed)
                {
                    // Read, then trim what was read: a pop whose answer is lost with the connection (Redis
                    // killed after it ran) would lose those replies for good; a trim that is lost only
                    // means reading them again, and Dispatch ignores a reply it has delivered already.
                    RedisKey replies = _keys.Replies(_clientId);
                    RedisValue[] items = await _db.ListRangeAsync(replies, 0, Batch - 1).ConfigureAwait(false);
                    if (items is null || items.Length == 0)
                    {
                        break;
                    }
                    foreach (RedisValue item in items)
                    {
                        Dispatch((byte[])item!);
                    }
                    await _db.ListTrimAsync(replies, items.Length, -1).ConfigureAwait(false);
                    if (items.Length < Batch)
                    {
                        break;
                    }
                }
            }
            catch (Exception e) when (e is RedisException or ObjectDisposedException or InvalidDataException or TimeoutException)
            {
                // The connection is down or closing: the monitor retries once a second and enforces the loss deadline.
            }
            int left = Interlocked.Add(ref _drainRequests, -seen);
            if (left == 0)
            {
                return;
            }
            seen = left;
        }
    }

    private void Dispatch(byte[] bytes)
    {
        RedisReply reply = RedisReply.Read(bytes);
        // A missing task was cancelled, or timed out after a connection loss: its reply has no reader.
        if (_pending.TryRemove(reply.TaskId, out RedisPendingTask? task))
        {
            task.Complete(reply);
        }
    }
}
