namespace Plexus.IO;

/// <summary>
/// A callback scheduled on an <see cref="EventLoop"/> (Python's <c>asyncio.Handle</c> and
/// <c>TimerHandle</c>): cancel it before it runs and it never runs.
/// </summary>
public sealed class LoopHandle
{
    private readonly Action<object?> _callback;
    private readonly object? _state;

    internal LoopHandle(Action<object?> callback, object? state, long dueTimestamp)
    {
        _callback = callback;
        _state = state;
        DueTimestamp = dueTimestamp;
    }

    /// <summary>True after <see cref="Cancel"/>.</summary>
    public bool IsCancelled { get; private set; }

    /// <summary>For a timer, when it is due on the loop's clock (<see cref="EventLoop.Time"/>, seconds); 0 for a call-soon handle.</summary>
    public double When => DueTimestamp / (double)System.Diagnostics.Stopwatch.Frequency;

    internal long DueTimestamp { get; }

    /// <summary>What the callback receives; lets the loop find its own sleeps when it closes.</summary>
    internal object? State => _state;

    /// <summary>Stops the callback from running if it has not run yet. Call it on the loop's thread.</summary>
    public void Cancel() => IsCancelled = true;

    internal void Run()
    {
        if (!IsCancelled)
        {
            _callback(_state);
        }
    }
}
