namespace Plexus.Processes;

/// <summary>
/// An exception that a child process's target threw, or that kept its target from running, carried
/// back to the parent as text: the child's exception type name, message and stack trace (no object of
/// the child's type is built).
/// </summary>
public sealed class ChildProcessException : Exception
{
    /// <summary>Creates the exception from what the child reported.</summary>
    public ChildProcessException(string remoteType, string remoteMessage, string remoteStackTrace, int pid, string processName)
        : this(remoteType, remoteMessage, remoteStackTrace, pid, processName, beforeTarget: false)
    {
    }

    internal ChildProcessException(string remoteType, string remoteMessage, string remoteStackTrace, int pid, string processName, bool beforeTarget)
        : base(beforeTarget
            ? $"child process {processName} (pid {pid}) failed before its target ran: {remoteType}: {remoteMessage}"
            : $"{remoteType} in child process {processName} (pid {pid}): {remoteMessage}")
    {
        RemoteType = remoteType;
        RemoteMessage = remoteMessage;
        RemoteStackTrace = remoteStackTrace;
        Pid = pid;
        ProcessName = processName;
        BeforeTarget = beforeTarget;
    }

    /// <summary>
    /// Whether the child failed before its target ran (its launch could not be read, the target was not
    /// found, an argument could not be rebuilt), rather than the target throwing.
    /// </summary>
    public bool BeforeTarget { get; }

    /// <summary>The full name of the exception's type in the child, e.g. <c>System.InvalidOperationException</c>.</summary>
    public string RemoteType { get; }

    /// <summary>The exception's message in the child.</summary>
    public string RemoteMessage { get; }

    /// <summary>The child's stack trace (with inner exceptions, as <see cref="Exception.ToString"/> gives them).</summary>
    public string RemoteStackTrace { get; }

    /// <summary>The child's process id.</summary>
    public int Pid { get; }

    /// <summary>The child's <see cref="ChildProcess.Name"/>.</summary>
    public string ProcessName { get; }

    /// <inheritdoc />
    public override string? StackTrace => RemoteStackTrace + Environment.NewLine + "--- in the parent ---" + Environment.NewLine + base.StackTrace;
}
