namespace Plexus.IO;

/// <summary>
/// One loop of a <see cref="LoopGroup"/>: its thread, its loop and the server on its listener. The
/// loop is made on its own thread and lives there until the group's shutdown task completes and
/// the handlers have returned (or the grace period ran out); then the loop closes on that thread.
/// </summary>
internal sealed class LoopGroupMember
{
    private readonly LoopSocket _listener;
    private readonly Func<LoopStreamReader, LoopStreamWriter, Task> _handler;
    private readonly int _limit;
    private readonly Task<TimeSpan> _shutdown;
    private readonly Thread _thread;
    private readonly TaskCompletionSource<EventLoop> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal LoopGroupMember(int index, LoopSocket listener, Func<LoopStreamReader, LoopStreamWriter, Task> handler, int limit, Task<TimeSpan> shutdown)
    {
        _listener = listener;
        _handler = handler;
        _limit = limit;
        _shutdown = shutdown;
        _thread = new Thread(Run) { IsBackground = true, Name = $"plexus-loop-{index}" };
    }

    /// <summary>True when every handler of this loop returned before the grace period ran out.</summary>
    internal bool FinishedInGrace { get; private set; }

    /// <summary>What ended the loop thread abnormally, or null.</summary>
    internal Exception? Error { get; private set; }

    internal void Start() => _thread.Start();

    internal EventLoop WaitStarted() => _started.Task.GetAwaiter().GetResult();

    internal void Join() => _thread.Join();

    private void Run()
    {
        EventLoop? loop = null;
        try
        {
            loop = new EventLoop();
            _started.TrySetResult(loop);
            loop.RunUntilComplete(() => ServeAsync(loop));
        }
        catch (Exception e)
        {
            Error = e;
            _started.TrySetException(e);
            _listener.Dispose();
        }
        finally
        {
            // Cancels the handlers still waiting and runs them to their end, closing their connections.
            loop?.Dispose();
        }
    }

    private async Task ServeAsync(EventLoop loop)
    {
        var server = new LoopServer(loop, _listener, _handler, _limit);
        TimeSpan grace = await _shutdown.ConfigureAwait(true);
        server.Close();
        Task closed = server.WaitClosedAsync();
        if (!closed.IsCompleted && grace > TimeSpan.Zero)
        {
            using var cutOff = new CancellationTokenSource();
            Task timer = loop.Sleep(grace, cutOff.Token);
            await Task.WhenAny(closed, timer).ConfigureAwait(true);
            cutOff.Cancel();
            try
            {
                await timer.ConfigureAwait(true);
            }
            catch (OperationCanceledException)
            {
                // The handlers finished first.
            }
        }
        FinishedInGrace = closed.IsCompleted;
    }
}
