using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Plexus.Lab.Native;

namespace Plexus.Lab.Bench;

/// <summary>
/// A <c>plexus serve</c> process started from this very executable (<c>plexus</c>, or
/// <c>dotnet plexus.dll</c>), watched until it prints its <c>listening</c> line.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private static ServerProcess? s_current;
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = [];
    private string _lastError = "";

    /// <param name="model">The model to serve.</param>
    /// <param name="port">Its port on 127.0.0.1.</param>
    /// <param name="workers">prefork, io-uring: worker processes, or 0 for the model's default.</param>
    public ServerProcess(string model, int port, int workers = 0)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath ?? "dotnet",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in SelfArguments())
        {
            start.ArgumentList.Add(arg);
        }
        foreach (string arg in (string[])["serve", "--model", model, "--port", port.ToString(CultureInfo.InvariantCulture), "--max-processes", "64"])
        {
            start.ArgumentList.Add(arg);
        }
        if (workers > 0)
        {
            start.ArgumentList.Add("--workers");
            start.ArgumentList.Add(workers.ToString(CultureInfo.InvariantCulture));
        }
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                _lines.Add(line);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                _lastError = line;
            }
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        s_current = this;
    }

    /// <summary>Kills the running server's whole tree at once (the bench is being interrupted).</summary>
    public static void KillCurrent()
    {
        try
        {
            s_current?._process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public int Pid => _process.Id;

    /// <summary>How to run this program again: the dll path when the host is <c>dotnet</c>.</summary>
    public static IEnumerable<string> SelfArguments()
    {
        string host = Path.GetFileNameWithoutExtension(Environment.ProcessPath ?? "dotnet");
        return host == "dotnet" ? [typeof(ServerProcess).Assembly.Location] : [];
    }

    public bool WaitListening(TimeSpan timeout, out string why)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_lines.TryTake(out string? line, 100) && line.Contains("listening", StringComparison.Ordinal))
            {
                why = "";
                return true;
            }
            if (_process.HasExited)
            {
                _process.WaitForExit();
                why = _lastError.Length > 0 ? _lastError : $"exited with code {_process.ExitCode}";
                return false;
            }
        }
        why = $"no 'listening' line within {timeout.TotalSeconds:0} s";
        return false;
    }

    /// <summary>SIGTERM (the server's clean stop), then SIGKILL of the whole tree if it lingers.</summary>
    public void Stop()
    {
        if (_process.HasExited)
        {
            return;
        }
        Sys.Terminate(_process.Id);
        if (!_process.WaitForExit(TimeSpan.FromSeconds(15)))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Stop();
        Interlocked.CompareExchange(ref s_current, null, this);
        _process.Dispose();
        _lines.Dispose();
    }
}
