namespace Plexus.Processes;

/// <summary>
/// The pool's initializer threw in every worker the pool started, several in a row, so the pool is
/// broken: its queued and later tasks fail with this exception, and it starts no more workers.
/// Carries the worker's exception type, message and stack trace as text (Python's <c>Pool</c>
/// restarts such workers forever instead).
/// </summary>
public sealed class ProcessPoolInitializerException : Exception
{
    /// <summary>Creates the exception from what the last failing worker reported.</summary>
    public ProcessPoolInitializerException(string initializer, string remoteType, string remoteMessage, string remoteStackTrace,
        string workerName, int pid, int failures)
        : base($"the pool's initializer {initializer} threw {remoteType} in {failures} workers in a row (last: {workerName}, pid {pid}): " +
               $"{remoteMessage}; the pool is broken: fix the initializer and start a new pool")
    {
        Initializer = initializer;
        RemoteType = remoteType;
        RemoteMessage = remoteMessage;
        RemoteStackTrace = remoteStackTrace;
        WorkerName = workerName;
        Pid = pid;
        Failures = failures;
    }

    /// <summary>The initializer's name, e.g. <c>MyApp.Setup.Connect</c>.</summary>
    public string Initializer { get; }

    /// <summary>The full name of the exception's type in the worker, e.g. <c>System.InvalidOperationException</c>.</summary>
    public string RemoteType { get; }

    /// <summary>The exception's message in the worker.</summary>
    public string RemoteMessage { get; }

    /// <summary>The worker's stack trace (with inner exceptions, as <see cref="Exception.ToString"/> gives them).</summary>
    public string RemoteStackTrace { get; }

    /// <summary>The last failing worker's process name.</summary>
    public string WorkerName { get; }

    /// <summary>The last failing worker's process id.</summary>
    public int Pid { get; }

    /// <summary>How many workers in a row failed their initializer before the pool gave up.</summary>
    public int Failures { get; }

    /// <inheritdoc />
    public override string? StackTrace => RemoteStackTrace + Environment.NewLine + "--- in the parent ---" + Environment.NewLine + base.StackTrace;
}
