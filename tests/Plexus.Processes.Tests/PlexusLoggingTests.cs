using System.Runtime.InteropServices;

namespace Plexus.Processes.Tests;

/// <summary>
/// PlexusLogging.LogToStderr (Python's log_to_stderr) writes what Plexus handles silently to stderr:
/// here a pool worker's death in the pool's process and an abandoned managed lock in the manager's.
/// </summary>
public sealed partial class PlexusLoggingTests
{
    [LibraryImport("libc", SetLastError = true)]
    private static partial int dup2(int oldFd, int newFd);

    private static int ExitWith(int code)
    {
        Environment.Exit(code);
        return 0;
    }

    private static void HoldAndDie(ManagedLock l)
    {
        l.Acquire();
        Environment.Exit(0);
    }

    /// <summary>Runs in a child whose stderr (fd 2, inherited by its own children) is <paramref name="path"/>.</summary>
    private static void LogToFileThenLoseAWorkerAndALock(string path)
    {
        using (FileStream file = new(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite))
        {
            if (dup2((int)file.SafeFileHandle.DangerousGetHandle(), 2) < 0)
            {
                throw new IOException($"dup2 failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        PlexusLogging.LogToStderr(Microsoft.Extensions.Logging.LogLevel.Warning);
        using (ProcessPool pool = new(1))
        {
            Assert.Throws<ProcessPoolWorkerDiedException>(() => pool.Apply(ExitWith, 7));
        }
        using ProcessManager manager = new ProcessManager().Start();
        ManagedLock l = manager.CreateLock();
        Children.RunAll(1, _ => ChildProcess.Create(HoldAndDie, l).Start());
        // The manager released the dead holder's lock (and logged it) before this acquire could succeed.
        Assert.True(l.TryAcquire(TimeSpan.FromMinutes(2)));
    }

    [Fact]
    public void Log_to_stderr_reports_a_dead_pool_worker_and_an_abandoned_manager_lock()
    {
        string path = Path.Combine(Path.GetTempPath(), $"plexus-log-{Guid.NewGuid():N}.txt");
        try
        {
            Children.RunAll(1, _ => ChildProcess.Create(LogToFileThenLoseAWorkerAndALock, path).Start());
            string[] lines = File.ReadAllLines(path);
            Assert.Contains(lines, l => l.StartsWith("[Warning/pid ", StringComparison.Ordinal)
                && l.Contains("Plexus.Processes.ProcessPool: pool worker ", StringComparison.Ordinal)
                && l.Contains("exited with code 7", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("Plexus.Processes.ProcessManager: lock ", StringComparison.Ordinal)
                && l.Contains("held by a manager client that disconnected", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_factory_is_the_null_factory_until_set()
    {
        Assert.Null(Environment.GetEnvironmentVariable(PlexusLogging.StderrVariable));
        Assert.Same(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, PlexusLogging.LoggerFactory);
    }
}
