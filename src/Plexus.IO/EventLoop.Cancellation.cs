using Plexus.IO.Selectors;

namespace Plexus.IO;

public sealed partial class EventLoop
{
    /// <summary>
    /// Completes after <paramref name="delay"/> on the loop (Python's <c>asyncio.sleep</c>). Cancelling
    /// <paramref name="cancellationToken"/> ends it at once as cancelled and drops its timer.
    /// </summary>
    public Task Sleep(TimeSpan delay, CancellationToken cancellationToken = default)
    {
        CheckThread(nameof(Sleep));
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }
        var sleep = new LoopSleep(cancellationToken);
        sleep.Start(this, CallLater(delay, LoopSleep.s_finish, sleep));
        return sleep.Task;
    }

    /// <summary>
    /// A deadline for the operations given its <see cref="LoopTimeout.Token"/> (Python's
    /// <c>asyncio.timeout</c>): when <paramref name="delay"/> passes on the loop's clock, the token is
    /// cancelled and the waiting operations fail with <see cref="OperationCanceledException"/>, with
    /// <see cref="LoopTimeout.Expired"/> true. Dispose it when the guarded work is done.
    /// </summary>
    /// <param name="delay">How long the work may take.</param>
    /// <param name="cancellationToken">An outer token that also cancels the work (linked).</param>
    public LoopTimeout Timeout(TimeSpan delay, CancellationToken cancellationToken = default)
    {
        CheckThread(nameof(Timeout));
        return new LoopTimeout(this, delay, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="operation"/> with a token that is cancelled after <paramref name="timeout"/>
    /// (Python's <c>asyncio.wait_for</c>): the underlying I/O is cancelled, not abandoned, and the
    /// caller gets <see cref="TimeoutException"/>. Cancelling <paramref name="cancellationToken"/>
    /// gives <see cref="OperationCanceledException"/> instead.
    /// </summary>
    public async Task<T> WaitForAsync<T>(Func<CancellationToken, Task<T>> operation, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        using LoopTimeout scope = Timeout(timeout, cancellationToken);
        try
        {
            return await operation(scope.Token).ConfigureAwait(true);
        }
        catch (OperationCanceledException e) when (scope.Expired && !cancellationToken.IsCancellationRequested)
        {
            throw TimedOut(timeout, e);
        }
    }

    /// <summary>Runs <paramref name="operation"/> and cancels it after <paramref name="timeout"/>, throwing <see cref="TimeoutException"/> (Python's <c>asyncio.wait_for</c>).</summary>
    public async Task WaitForAsync(Func<CancellationToken, Task> operation, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        using LoopTimeout scope = Timeout(timeout, cancellationToken);
        try
        {
            await operation(scope.Token).ConfigureAwait(true);
        }
        catch (OperationCanceledException e) when (scope.Expired && !cancellationToken.IsCancellationRequested)
        {
            throw TimedOut(timeout, e);
        }
    }

    /// <summary>Queues <paramref name="callback"/> from a cancellation callback, which may run on any thread; a closed loop ignores it.</summary>
    internal void CallSoonFromAnyThread(Action<object?> callback, object? state)
    {
        if (IsClosed)
        {
            return;
        }
        try
        {
            if (IsRunning && IsOnLoopThread)
            {
                _ready.Enqueue(new ReadyItem(callback, state));
            }
            else
            {
                CallSoonThreadSafe(callback, state);
            }
        }
        catch (ObjectDisposedException)
        {
            // The loop closed meanwhile; closing cancelled what was waiting.
        }
    }

    private static TimeoutException TimedOut(TimeSpan timeout, OperationCanceledException e)
        => new($"the operation did not complete within {timeout.TotalSeconds:0.###} s and was cancelled", e);

    /// <summary>
    /// Cancels every waiting socket operation and sleep, then runs the loop on this thread while
    /// anything is ready, so the coroutines behind them see the cancellation and finish. Rounds
    /// repeat for coroutines that start a new wait while they unwind; a coroutine that keeps
    /// waiting after 100 rounds is left suspended, and so is work a callback keeps rescheduling.
    /// </summary>
    private void CancelRemaining()
    {
        if (t_running is not null && t_running != this)
        {
            return;
        }
        SynchronizationContext? previous = Enter();
        try
        {
            for (int round = 0; round < 100; round++)
            {
                bool cancelled = false;
                foreach (SelectorKey key in _selector.Keys)
                {
                    if (key.Data is FdWatch { ReaderState: LoopSocket r } && r.HasWaitingOperation)
                    {
                        r.CancelForClose();
                        cancelled = true;
                    }
                    if (key.Data is FdWatch { WriterState: LoopSocket w } && w.HasWaitingOperation)
                    {
                        w.CancelForClose();
                        cancelled = true;
                    }
                }
                var sleeps = new List<LoopSleep>();
                foreach ((LoopHandle timer, long _) in _timers.UnorderedItems)
                {
                    if (!timer.IsCancelled && timer.State is LoopSleep sleep)
                    {
                        sleeps.Add(sleep);
                    }
                }
                foreach (LoopSleep sleep in sleeps)
                {
                    sleep.CancelForClose();
                    cancelled = true;
                }
                DrainIncoming();
                if (!cancelled && _ready.Count == 0)
                {
                    return;
                }
                // Bounded: a callback that keeps rescheduling itself must not stop the loop closing.
                for (int i = 0; i < 10_000 && _ready.Count > 0; i++)
                {
                    RunOnce();
                    DrainIncoming();
                }
            }
        }
        finally
        {
            Exit(previous);
        }
    }
}
