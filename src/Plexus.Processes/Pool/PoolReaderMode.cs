namespace Plexus.Processes;

/// <summary>Which thread reads a pool worker's answers (exactly one at a time, so answers stay in order).</summary>
internal enum PoolReaderMode
{
    /// <summary>The worker's reader thread reads (or is about to).</summary>
    Thread,

    /// <summary>The reader thread is parked: the worker is ready, idle and alive, so it has nothing to say.</summary>
    Parked,

    /// <summary>A blocking apply's own thread reads until its task is answered; the reader thread stays parked.</summary>
    Caller,
}
