namespace Plexus.Processes;

/// <summary>
/// A <see cref="ProcessPool"/> worker died (killed by a signal, <c>Environment.Exit</c>, a stack
/// overflow) while running the task this exception fails. Only that task fails: the pool starts a
/// replacement worker and the other tasks complete. (Python's <c>Pool</c> hangs in this case.)
/// </summary>
public sealed class ProcessPoolWorkerDiedException : Exception
{
    /// <summary>Creates the exception for worker <paramref name="workerName"/>.</summary>
    public ProcessPoolWorkerDiedException(string workerName, int pid, int? exitCode)
        : base($"pool worker {workerName} (pid {pid}) {Describe(exitCode)} while running this task; the pool replaced it. " +
               "Retry the task if it is safe to run again")
    {
        WorkerName = workerName;
        Pid = pid;
        ExitCode = exitCode;
    }

    /// <summary>The dead worker's process name.</summary>
    public string WorkerName { get; }

    /// <summary>The dead worker's process id.</summary>
    public int Pid { get; }

    /// <summary>Its exit code in Python's convention (minus the signal number when a signal ended it), if known.</summary>
    public int? ExitCode { get; }

    /// <summary>How a process ended, e.g. <c>exited with code 3</c> or <c>was killed by signal 9 (SIGKILL)</c>.</summary>
    internal static string Describe(int? exitCode) => exitCode switch
    {
        null => "died (exit status unknown)",
        < 0 => $"was killed by signal {-exitCode}{SignalName(-exitCode.Value)}",
        _ => $"exited with code {exitCode}",
    };

    private static string SignalName(int signal) => signal switch
    {
        9 => " (SIGKILL)",
        15 => " (SIGTERM)",
        6 => " (SIGABRT, e.g. a stack overflow)",
        11 => " (SIGSEGV)",
        _ => "",
    };
}
