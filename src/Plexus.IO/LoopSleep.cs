namespace Plexus.IO;

/// <summary>One <see cref="EventLoop.Sleep"/>: a timer and, when its token can cancel, a registration.</summary>
internal sealed class LoopSleep
{
    internal static readonly Action<object?> s_finish = static s => ((LoopSleep)s!)._done.TrySetResult();

    private static readonly Action<object?> s_onCancelRequested = static s => ((LoopSleep)s!).OnCancelRequested();
    private static readonly Action<object?> s_cancelOnLoop = static s => ((LoopSleep)s!).Cancel();

    private readonly TaskCompletionSource _done = new();
    private readonly CancellationToken _token;
    private EventLoop? _loop;
    private LoopHandle? _timer;
    private CancellationTokenRegistration _registration;

    internal LoopSleep(CancellationToken token) => _token = token;

    internal Task Task => _done.Task;

    internal void Start(EventLoop loop, LoopHandle timer)
    {
        _loop = loop;
        _timer = timer;
        if (_token.CanBeCanceled)
        {
            _registration = _token.UnsafeRegister(s_onCancelRequested, this);
        }
    }

    /// <summary>The loop is closing: the sleeper is cancelled instead of left waiting forever.</summary>
    internal void CancelForClose()
    {
        _timer?.Cancel();
        _registration.Unregister();
        _done.TrySetCanceled();
    }

    private void OnCancelRequested() => _loop?.CallSoonFromAnyThread(s_cancelOnLoop, this);

    private void Cancel()
    {
        _timer?.Cancel();
        _registration.Unregister();
        _done.TrySetCanceled(_token);
    }
}
