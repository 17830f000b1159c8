namespace Plexus.Processes;

/// <summary>
/// Where a pool worker is in its life, as its <see cref="PoolWorkerHandle"/> in the parent sees it.
/// Transitions (under the pool's lock): Starting → Ready | InitializerFailed | Stopping; Ready →
/// Exited | Stopping; InitializerFailed | Exited → Stopping; and any state → Ended.
/// </summary>
internal enum PoolWorkerState
{
    /// <summary>Started; has not said yet whether its initializer ran. Takes tasks (they wait in its pipe, none runs).</summary>
    Starting,

    /// <summary>Ran its initializer and runs tasks in the order they were sent.</summary>
    Ready,

    /// <summary>Reported that its initializer threw; it exits without running a task. Takes no tasks.</summary>
    InitializerFailed,

    /// <summary>Its process exited (or its pipe failed) after it was ready; its reader reads to the end. Takes no tasks.</summary>
    Exited,

    /// <summary>Told to stop (replaced after maxTasksPerChild tasks, or by Join) with no task in flight. Takes no tasks.</summary>
    Stopping,

    /// <summary>Its reader saw the end of its pipe and reaped it; it is gone from the pool.</summary>
    Ended,
}
