namespace Plexus.Processes;

/// <summary>
/// Facts about the current process: what Python's <c>os.getpid()</c>, <c>os.getppid()</c> and
/// <c>multiprocessing.current_process()</c> tell.
/// </summary>
public static class ProcessInfo
{
    /// <summary>This process's id.</summary>
    public static int Pid => Environment.ProcessId;

    /// <summary>The parent process's id (as the kernel reports it now).</summary>
    public static int ParentPid => Native.ProcessIds.Parent();

    /// <summary>
    /// This process's name: <c>MainProcess</c>, or the <see cref="ChildProcess.Name"/> it was started with.
    /// </summary>
    public static string Name { get; internal set; } = "MainProcess";

    /// <summary>Whether this process was started by <see cref="ChildProcess"/>.</summary>
    public static bool IsChild { get; internal set; }
}
