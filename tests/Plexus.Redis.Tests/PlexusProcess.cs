using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Plexus.Redis.Tests;

/// <summary>A <c>dotnet plexus.dll ...</c> process (a worker "host"), its output kept line by line, stopped by its PID.</summary>
internal sealed partial class PlexusProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private bool _disposed;

    private PlexusProcess(IEnumerable<string> command)
    {
        string[] all = command.ToArray();
        var start = new ProcessStartInfo(all[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in all.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>Runs <c>plexus</c> with <paramref name="args"/>, optionally under a launcher such as <c>ip netns exec NAME</c>.</summary>
    public static PlexusProcess Start(IEnumerable<string> args, IEnumerable<string>? launcher = null)
        => new([.. launcher ?? [], "dotnet", PlexusDll, .. args]);

    /// <summary>Starts <c>plexus worker</c> for the test assembly's targets and waits until it serves.</summary>
    public static PlexusProcess StartWorker(string url, string queue, int processes = 1, double visibility = 3, int maxDeliveries = 3, IEnumerable<string>? launcher = null)
    {
        var worker = Start(
        [
            "worker", "--redis", url, "--app", typeof(RedisTargets).Assembly.Location, "--processes", processes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--queue", queue, "--visibility-timeout", visibility.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--max-deliveries", maxDeliveries.ToString(System.Globalization.CultureInfo.InvariantCulture), "--status-interval", "1",
        ], launcher);
        worker.WaitForLine(" ready:", TimeSpan.FromSeconds(120));
        return worker;
    }

    public void WaitForLine(string text, TimeSpan timeout)
        => Wait.Until(() => Output.Contains(text, StringComparison.Ordinal) || _process.HasExited, timeout, $"plexus (pid {Pid}) did not print '{text}'; output so far:\n{Output}\n");

    public bool HasExited => _process.HasExited;

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            throw new TimeoutException($"plexus (pid {Pid}) did not exit within {timeout.TotalSeconds} s; output:\n{Output}");
        }
        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    public void Signal(int signal) => Assert.Equal(0, SendSignal(Pid, signal));

    /// <summary>SIGKILLs this process alone (as a host that loses power): its own children must notice and end by themselves.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            lock (_lines)
            {
                _lines.Add(line);
            }
        }
    }

    private static string PlexusDll
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            string configuration = dir.Parent!.Name; // .../tests/Plexus.Redis.Tests/bin/<Configuration>/net10.0/
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Plexus.slnx")))
            {
                dir = dir.Parent;
            }
            string dll = Path.Combine(dir?.FullName ?? ".", "src", "Plexus.Lab", "bin", configuration, "net10.0", "plexus.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"build src/Plexus.Lab ({configuration}) first: {dll} is missing", dll);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
