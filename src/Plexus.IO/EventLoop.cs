using System.Diagnostics;
using Plexus.IO.Selectors;
using Plexus.Native;

namespace Plexus.IO;

/// <summary>
/// A single-threaded event loop in the shape of Python's <c>asyncio</c> loop: callbacks
/// (<see cref="CallSoon(Action)"/>), timers (<see cref="CallLater(TimeSpan, Action)"/>), descriptor
/// watchers (<see cref="AddReader(int, Action)"/>), a thread-safe wake-up
/// (<see cref="CallSoonThreadSafe(Action)"/>) and coroutines: while it runs, the loop is its
/// thread's <see cref="SynchronizationContext"/>, so every <c>await</c> in code it runs comes back
/// to the loop thread, in order.
/// </summary>
/// <remarks>
/// Everything except <see cref="CallSoonThreadSafe(Action)"/>, <see cref="RunAsync(Func{Task})"/>,
/// <see cref="Stop"/> and <see cref="SynchronizationContext.Post"/> must be called on the loop's
/// thread. The loop's clock is monotonic (<see cref="Stopwatch.GetTimestamp"/>).
/// </remarks>
public sealed partial class EventLoop : SynchronizationContext, IDisposable
{
    [ThreadStatic, System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006", Justification = "t_ marks a thread-static field")]
    private static EventLoop? t_running;

    private static readonly Action<object?> s_runAction = static s => ((Action)s!)();
    private static readonly Action<object?> s_onWake = static s => ((EventLoop)s!).OnWake();

    private readonly Selector _selector;
    private readonly bool _levelTriggered;
    private readonly SafeFd _wakeFd;
    private readonly Queue<ReadyItem> _ready = new(256);
    private readonly Queue<ReadyItem> _incoming = new();
    private readonly Lock _incomingLock = new();
    private readonly PriorityQueue<LoopHandle, long> _timers = new();
    private int _wakePending;
    private volatile bool _stopping;
    private int _threadId;

    /// <summary>Creates a loop on <see cref="DefaultSelector.Create"/> (epoll on Linux).</summary>
    public EventLoop() : this(DefaultSelector.Create())
    {
    }

    /// <summary>Creates a loop on <paramref name="selector"/>, which the loop owns and disposes.</summary>
    public EventLoop(Selector selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        _selector = selector;
        _levelTriggered = selector is not EpollSelector { Trigger: not EpollTrigger.Level };
        _threadId = Environment.CurrentManagedThreadId;
        _wakeFd = new SafeFd(EventFd.Create(nonBlocking: true));
        _selector.Register(_wakeFd, SelectorEvents.Read, new FdWatch { Reader = s_onWake, ReaderState = this });
    }

    /// <summary>The loop running on the calling thread, or null (Python's <c>asyncio.get_running_loop</c> without the exception).</summary>
    public static EventLoop? Running => t_running;

    /// <summary>True while <see cref="RunForever"/> or a <c>RunUntilComplete</c> is running.</summary>
    public bool IsRunning { get; private set; }

    /// <summary>True after <see cref="Dispose"/>.</summary>
    public bool IsClosed { get; private set; }

    /// <summary>The loop's monotonic clock in seconds (Python's <c>loop.time()</c>).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Mirrors asyncio's loop.time(); a loop could have its own clock.")]
    public double Time => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    /// <summary>
    /// Handles exceptions thrown by callbacks (Python's <c>set_exception_handler</c>). The loop keeps
    /// running after each. When null, the default handler writes the message and exception to stderr.
    /// </summary>
    public Action<EventLoop, LoopExceptionContext>? ExceptionHandler { get; set; }

    /// <summary>True when called on the loop's thread.</summary>
    public bool IsOnLoopThread => Environment.CurrentManagedThreadId == _threadId;

    /// <summary>Schedules <paramref name="callback"/> to run on the next iteration, after those already scheduled (FIFO).</summary>
    public LoopHandle CallSoon(Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        CheckThread(nameof(CallSoon));
        var handle = new LoopHandle(s_runAction, callback, 0);
        _ready.Enqueue(new ReadyItem(handle, null));
        return handle;
    }

    /// <summary>Schedules <paramref name="callback"/>(<paramref name="state"/>) without allocating a handle; it cannot be cancelled.</summary>
    public void CallSoon(Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        CheckThread(nameof(CallSoon));
        _ready.Enqueue(new ReadyItem(callback, state));
    }

    /// <summary>Schedules <paramref name="callback"/> from any thread and wakes the loop (Python's <c>call_soon_threadsafe</c>).</summary>
    public void CallSoonThreadSafe(Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        CallSoonThreadSafe(s_runAction, callback);
    }

    /// <summary>Schedules <paramref name="callback"/>(<paramref name="state"/>) from any thread and wakes the loop.</summary>
    public void CallSoonThreadSafe(Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ObjectDisposedException.ThrowIf(IsClosed, this);
        lock (_incomingLock)
        {
            _incoming.Enqueue(new ReadyItem(callback, state));
        }
        // One write per wake-up: later callers see the flag and know the loop will drain them too.
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            Wake();
        }
    }

    /// <summary>Runs <paramref name="callback"/> after <paramref name="delay"/> (Python's <c>call_later</c>).</summary>
    public LoopHandle CallLater(TimeSpan delay, Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return CallAtTimestamp(Stopwatch.GetTimestamp() + ToTimestampTicks(delay), s_runAction, callback);
    }

    /// <summary>Runs <paramref name="callback"/>(<paramref name="state"/>) after <paramref name="delay"/>.</summary>
    public LoopHandle CallLater(TimeSpan delay, Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return CallAtTimestamp(Stopwatch.GetTimestamp() + ToTimestampTicks(delay), callback, state);
    }

    /// <summary>Runs <paramref name="callback"/> when <see cref="Time"/> reaches <paramref name="when"/> seconds (Python's <c>call_at</c>).</summary>
    public LoopHandle CallAt(double when, Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return CallAtTimestamp((long)(when * Stopwatch.Frequency), s_runAction, callback);
    }

    /// <summary>Calls <paramref name="callback"/> on the loop whenever <paramref name="fd"/> is readable (Python's <c>add_reader</c>); replaces an earlier reader.</summary>
    public void AddReader(int fd, Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        AddReader(fd, s_runAction, callback);
    }

    /// <summary>Calls <paramref name="callback"/> on the loop whenever <paramref name="fd"/> is writable (Python's <c>add_writer</c>); replaces an earlier writer.</summary>
    public void AddWriter(int fd, Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        AddWriter(fd, s_runAction, callback);
    }

    /// <summary>Stops watching <paramref name="fd"/> for reading; false if no reader was set.</summary>
    public bool RemoveReader(int fd) => RemoveWatch(fd, SelectorEvents.Read);

    /// <summary>Stops watching <paramref name="fd"/> for writing; false if no writer was set.</summary>
    public bool RemoveWriter(int fd) => RemoveWatch(fd, SelectorEvents.Write);

    /// <summary>
    /// Runs until <see cref="Stop"/> (Python's <c>run_forever</c>). The calling thread becomes the
    /// loop's thread and the loop its <see cref="SynchronizationContext"/> until it returns.
    /// </summary>
    public void RunForever()
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        if (IsRunning)
        {
            throw new InvalidOperationException("this event loop is already running; call Stop first or schedule work with CallSoonThreadSafe");
        }
        if (t_running is not null)
        {
            throw new InvalidOperationException("another event loop is already running on this thread");
        }
        SynchronizationContext? previous = Enter();
        try
        {
            while (true)
            {
                RunOnce();
                if (_stopping)
                {
                    break;
                }
            }
        }
        finally
        {
            _stopping = false;
            Exit(previous);
        }
    }

    /// <summary>
    /// Runs the loop until <paramref name="task"/> completes and returns its exception, if any
    /// (Python's <c>run_until_complete</c>). A task started before the loop ran continues on
    /// whatever context it captured; start coroutines with <see cref="RunUntilComplete(Func{Task})"/>
    /// so that they run on the loop.
    /// </summary>
    /// <remarks>
    /// Other coroutines still waiting when <paramref name="task"/> completes stay suspended, as in
    /// asyncio: a later run resumes them, and <see cref="Dispose"/> cancels their waiting operations
    /// and runs them to their end (their <c>finally</c> blocks run on the loop thread).
    /// </remarks>
    public void RunUntilComplete(Task task)
    {
        ArgumentNullException.ThrowIfNull(task);
        RunUntilDone(task);
        task.GetAwaiter().GetResult();
    }

    /// <summary>Runs the loop until <paramref name="task"/> completes and returns its result.</summary>
    public T RunUntilComplete<T>(Task<T> task)
    {
        ArgumentNullException.ThrowIfNull(task);
        RunUntilDone(task);
        return task.GetAwaiter().GetResult();
    }

    /// <summary>Runs the loop until <paramref name="task"/> completes.</summary>
    public void RunUntilComplete(ValueTask task)
    {
        if (task.IsCompleted)
        {
            task.GetAwaiter().GetResult();
            return;
        }
        RunUntilComplete(task.AsTask());
    }

    /// <summary>Starts <paramref name="main"/> on the loop thread, inside the loop, and runs until its task completes.</summary>
    public void RunUntilComplete(Func<Task> main)
    {
        ArgumentNullException.ThrowIfNull(main);
        RunUntilComplete(StartOnLoop(main));
    }

    /// <summary>Starts <paramref name="main"/> inside the loop and runs until it completes, returning its result.</summary>
    public T RunUntilComplete<T>(Func<Task<T>> main)
    {
        ArgumentNullException.ThrowIfNull(main);
        return RunUntilComplete(StartOnLoop(main));
    }

    /// <summary>
    /// Runs <paramref name="coroutine"/> on the loop from any thread and returns a task that
    /// completes with it (Python's <c>run_coroutine_threadsafe</c>).
    /// </summary>
    public Task RunAsync(Func<Task> coroutine)
    {
        ArgumentNullException.ThrowIfNull(coroutine);
        return RunAsync<object?>(async () =>
        {
            await coroutine().ConfigureAwait(true);
            return null;
        });
    }

    /// <summary>Runs <paramref name="coroutine"/> on the loop from any thread and returns a task with its result.</summary>
    public Task<T> RunAsync<T>(Func<Task<T>> coroutine)
    {
        ArgumentNullException.ThrowIfNull(coroutine);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        CallSoonThreadSafe(static s =>
        {
            var (f, tcs) = ((Func<Task<T>>, TaskCompletionSource<T>))s!;
            Forward(f, tcs);
        }, (coroutine, done));
        return done.Task;
    }

    /// <summary>
    /// Stops the loop after the callbacks already scheduled have run (Python's <c>stop</c>). Safe
    /// from any thread; called before the loop runs, the next run does one iteration and returns.
    /// </summary>
    public void Stop()
    {
        if (IsRunning && !IsOnLoopThread)
        {
            CallSoonThreadSafe(static s => ((EventLoop)s!)._stopping = true, this);
            return;
        }
        _stopping = true;
    }

    /// <summary>
    /// Passes an error to <see cref="ExceptionHandler"/>, or writes it to stderr (Python's
    /// <c>call_exception_handler</c>). Never throws: it is called from the loop's own error paths.
    /// </summary>
    public void CallExceptionHandler(LoopExceptionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Action<EventLoop, LoopExceptionContext>? handler = ExceptionHandler;
        if (handler is not null)
        {
            try
            {
                handler(this, context);
                return;
            }
            catch (Exception e)
            {
                WriteError($"Plexus event loop: the exception handler failed: {e}");
            }
        }
        WriteError($"Plexus event loop: {context.Message}: {context.Exception}");
    }

    /// <summary>
    /// Writes a line to stderr, dropping it when that fails: .NET opens its stderr writer on first use
    /// by duplicating descriptor 2, which fails when the process is out of descriptors, the very error
    /// being reported; a throw here would end the caller (a server's accept loop) instead.
    /// </summary>
    private static void WriteError(string line)
    {
        try
        {
            Console.Error.WriteLine(line);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Runs <paramref name="d"/> on the loop: directly queued on the loop thread, through the thread-safe queue from elsewhere.</summary>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (IsRunning && IsOnLoopThread)
        {
            _ready.Enqueue(new ReadyItem(d, state));
        }
        else
        {
            CallSoonThreadSafe(static s =>
            {
                var (cb, st) = ((SendOrPostCallback, object?))s!;
                cb(st);
            }, (d, state));
        }
    }

    /// <summary>Runs <paramref name="d"/> on the loop and waits for it (inline when already on the loop thread).</summary>
    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (IsOnLoopThread)
        {
            d(state);
            return;
        }
        using var done = new ManualResetEventSlim();
        Exception? error = null;
        CallSoonThreadSafe(() =>
        {
            try
            {
                d(state);
            }
            catch (Exception e)
            {
                error = e;
            }
            finally
            {
                done.Set();
            }
        });
        done.Wait();
        if (error is not null)
        {
            throw new InvalidOperationException("a callback sent to the event loop failed", error);
        }
    }

    /// <summary>The loop itself: a copy would post to the same queue.</summary>
    public override SynchronizationContext CreateCopy() => this;

    /// <summary>
    /// Closes the loop (what Python's <c>asyncio.run</c> does on the way out, then <c>close</c>): every
    /// socket operation, sleep and timeout still waiting is cancelled, the coroutines behind them run
    /// on this thread until they have nothing ready, then the selector and the wake-up descriptor
    /// close. Callbacks still scheduled after that are dropped.
    /// </summary>
    public void Dispose()
    {
        if (IsClosed)
        {
            return;
        }
        if (IsRunning)
        {
            throw new InvalidOperationException("cannot dispose a running event loop; Stop it and let RunForever return first");
        }
        CancelRemaining();
        DisposeSignalHandlers();
        IsClosed = true;
        _selector.Dispose();
        _wakeFd.Dispose();
        _ready.Clear();
        _timers.Clear();
    }

    /// <summary>Makes the calling thread the loop's thread, with the loop as its context; returns the context to restore.</summary>
    private SynchronizationContext? Enter()
    {
        _threadId = Environment.CurrentManagedThreadId;
        SynchronizationContext? previous = Current;
        SetSynchronizationContext(this);
        t_running = this;
        IsRunning = true;
        return previous;
    }

    private void Exit(SynchronizationContext? previous)
    {
        IsRunning = false;
        t_running = null;
        SetSynchronizationContext(previous);
    }

    internal void AddReader(int fd, Action<object?> callback, object? state)
    {
        CheckThread(nameof(AddReader));
        FdWatch watch = Watch(fd, SelectorEvents.Read);
        watch.Reader = callback;
        watch.ReaderState = state;
    }

    internal void AddWriter(int fd, Action<object?> callback, object? state)
    {
        CheckThread(nameof(AddWriter));
        FdWatch watch = Watch(fd, SelectorEvents.Write);
        watch.Writer = callback;
        watch.WriterState = state;
    }

    /// <summary>Drops every watch on <paramref name="fd"/>; called before the descriptor closes.</summary>
    internal void Forget(int fd)
    {
        if (!IsClosed && _selector.TryGetKey(fd, out SelectorKey? key))
        {
            _selector.Unregister(key);
        }
    }

    internal void CheckThread(string operation)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        if (IsRunning && !IsOnLoopThread)
        {
            throw new InvalidOperationException(
                $"{operation} must be called on the event loop's thread; from another thread use CallSoonThreadSafe or RunAsync");
        }
    }

    private FdWatch Watch(int fd, SelectorEvents events)
    {
        if (_selector.TryGetKey(fd, out SelectorKey? key))
        {
            if ((key.Events & events) == 0)
            {
                _selector.Modify(fd, key.Events | events);
            }
            return (FdWatch)key.Data!;
        }
        var watch = new FdWatch();
        _selector.Register(fd, events, watch);
        return watch;
    }

    private bool RemoveWatch(int fd, SelectorEvents events)
    {
        CheckThread(events == SelectorEvents.Read ? nameof(RemoveReader) : nameof(RemoveWriter));
        if (!_selector.TryGetKey(fd, out SelectorKey? key) || (key.Events & events) == 0)
        {
            return false;
        }
        var watch = (FdWatch)key.Data!;
        if (events == SelectorEvents.Read)
        {
            watch.Reader = null;
            watch.ReaderState = null;
        }
        else
        {
            watch.Writer = null;
            watch.WriterState = null;
        }
        SelectorEvents left = key.Events & ~events;
        if (left == SelectorEvents.None)
        {
            _selector.Unregister(key);
        }
        else
        {
            _selector.Modify(fd, left);
        }
        return true;
    }

    private LoopHandle CallAtTimestamp(long due, Action<object?> callback, object? state)
    {
        CheckThread(nameof(CallLater));
        var handle = new LoopHandle(callback, state, due);
        _timers.Enqueue(handle, due);
        return handle;
    }

    private void RunOnce()
    {
        DrainIncoming();
        TimeSpan? timeout = null;
        if (_ready.Count > 0 || _stopping)
        {
            timeout = TimeSpan.Zero;
        }
        else
        {
            while (_timers.TryPeek(out LoopHandle? head, out long due))
            {
                if (head.IsCancelled)
                {
                    _timers.Dequeue();
                    continue;
                }
                long wait = due - Stopwatch.GetTimestamp();
                timeout = wait <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency);
                break;
            }
        }

        foreach ((SelectorKey key, SelectorEvents events) in _selector.Select(timeout))
        {
            // A callback earlier in this batch may have unregistered (and closed) this descriptor.
            if (!key.IsRegistered)
            {
                continue;
            }
            var watch = (FdWatch)key.Data!;
            if ((events & SelectorEvents.Read) != 0 && watch.Reader is not null)
            {
                _ready.Enqueue(new ReadyItem(watch.Reader, watch.ReaderState));
            }
            if ((events & SelectorEvents.Write) != 0 && watch.Writer is not null)
            {
                _ready.Enqueue(new ReadyItem(watch.Writer, watch.WriterState));
            }
        }

        long now = Stopwatch.GetTimestamp();
        while (_timers.TryPeek(out LoopHandle? timer, out long due) && due <= now)
        {
            _timers.Dequeue();
            if (!timer.IsCancelled)
            {
                _ready.Enqueue(new ReadyItem(timer, null));
            }
        }

        // Only what is ready now: callbacks scheduled by these callbacks wait for the next iteration.
        for (int n = _ready.Count; n > 0; n--)
        {
            ReadyItem item = _ready.Dequeue();
            try
            {
                switch (item.Callback)
                {
                    case Action<object?> action:
                        action(item.State);
                        break;
                    case LoopHandle handle:
                        handle.Run();
                        break;
                    case SendOrPostCallback post:
                        post(item.State);
                        break;
                }
            }
            catch (Exception e)
            {
                CallExceptionHandler(new LoopExceptionContext("exception in callback " + Describe(item.Callback), e));
            }
        }
    }

    private void OnWake()
    {
        // Read first, then clear the flag: a caller that saw the flag set has already queued its item.
        Span<byte> counter = stackalloc byte[sizeof(ulong)];
        _ = Descriptors.ReadSome(_wakeFd.Fd, counter);
        Volatile.Write(ref _wakePending, 0);
        DrainIncoming();
    }

    private void Wake()
    {
        ReadOnlySpan<byte> one = BitConverter.IsLittleEndian ? [1, 0, 0, 0, 0, 0, 0, 0] : [0, 0, 0, 0, 0, 0, 0, 1];
        int written;
        while ((written = Descriptors.WriteSome(_wakeFd.Fd, one)) < 0)
        {
            int errno = -written;
            if (errno == Errnos.EINTR)
            {
                continue;
            }
            // EAGAIN means the counter is saturated: the loop is certainly going to wake.
            if (errno != Errnos.EAGAIN && !IsClosed)
            {
                throw new ErrnoException("write(eventfd)", errno, "event loop wake-up");
            }
            return;
        }
    }

    private void DrainIncoming()
    {
        lock (_incomingLock)
        {
            while (_incoming.TryDequeue(out ReadyItem item))
            {
                _ready.Enqueue(item);
            }
        }
    }

    private void RunUntilDone(Task task)
    {
        if (task.IsCompleted)
        {
            return;
        }
        task.ContinueWith(static (_, s) => ((EventLoop)s!).Stop(), this, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        RunForever();
        if (!task.IsCompleted)
        {
            throw new InvalidOperationException("the event loop stopped before the task it was running completed");
        }
    }

    private Task StartOnLoop(Func<Task> main)
    {
        var outer = new Task<Task>(main);
        CallSoon(static s => ((Task<Task>)s!).RunSynchronously(TaskScheduler.Default), outer);
        return outer.Unwrap();
    }

    private Task<T> StartOnLoop<T>(Func<Task<T>> main)
    {
        var outer = new Task<Task<T>>(main);
        CallSoon(static s => ((Task<Task<T>>)s!).RunSynchronously(TaskScheduler.Default), outer);
        return outer.Unwrap();
    }

    private static async void Forward<T>(Func<Task<T>> coroutine, TaskCompletionSource<T> done)
    {
        try
        {
            done.TrySetResult(await coroutine().ConfigureAwait(true));
        }
        catch (OperationCanceledException e)
        {
            done.TrySetCanceled(e.CancellationToken);
        }
        catch (Exception e)
        {
            done.TrySetException(e);
        }
    }

    private static string Describe(object callback) => callback switch
    {
        Delegate d => d.Method.DeclaringType?.Name + "." + d.Method.Name,
        _ => callback.GetType().Name,
    };

    private static long ToTimestampTicks(TimeSpan delay)
        => delay <= TimeSpan.Zero ? 0 : (long)(delay.TotalSeconds * Stopwatch.Frequency);

    private readonly record struct ReadyItem(object Callback, object? State);

    /// <summary>The callbacks watching one descriptor; the selector key's data.</summary>
    private sealed class FdWatch
    {
        internal Action<object?>? Reader;
        internal object? ReaderState;
        internal Action<object?>? Writer;
        internal object? WriterState;
    }
}

/// <summary>What <see cref="EventLoop.ExceptionHandler"/> receives (Python's exception-handler context dict).</summary>
/// <param name="Message">What the loop was doing.</param>
/// <param name="Exception">The exception thrown.</param>
public sealed record LoopExceptionContext(string Message, Exception Exception);
