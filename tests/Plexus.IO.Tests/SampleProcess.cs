using System.Diagnostics;
using System.Text;
using Plexus.Native;

namespace Plexus.IO.Tests;

/// <summary>Runs <c>samples/Plexus.Samples</c> as a child process; Dispose stops it by its PID.</summary>
internal sealed class SampleProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private readonly SemaphoreSlim _lines = new(0);

    private SampleProcess(string[] args, int? fileLimit = null)
    {
        var info = new ProcessStartInfo(fileLimit is null ? "dotnet" : "/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (fileLimit is { } limit)
        {
            // The shell lowers the descriptor limit and becomes dotnet (exec): the PID stays the sample's.
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add($"ulimit -n {limit} && exec dotnet \"$@\"");
            info.ArgumentList.Add("sh");
        }
        info.ArgumentList.Add(SamplesDll);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_out)
                {
                    _out.AppendLine(e.Data);
                }
                _lines.Release();
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_err)
                {
                    _err.AppendLine(e.Data);
                }
            }
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static string SamplesDll { get; } = FindSamplesDll();

    public string Output
    {
        get
        {
            lock (_out)
            {
                return _out.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_err)
            {
                return _err.ToString();
            }
        }
    }

    public int Pid => _process.Id;

    public static SampleProcess Start(params string[] args) => new(args);

    /// <summary>Starts a sample whose soft descriptor limit (<c>ulimit -n</c>) is <paramref name="fileLimit"/>.</summary>
    public static SampleProcess StartWithFileLimit(int fileLimit, params string[] args) => new(args, fileLimit);

    /// <summary>Runs a sample to completion and returns its exit code and output.</summary>
    public static (int ExitCode, string Output, string Error) Run(TimeSpan timeout, params string[] args)
    {
        using var p = new SampleProcess(args);
        if (!p._process.WaitForExit(timeout))
        {
            throw new TimeoutException($"sample {string.Join(' ', args)} did not finish in {timeout}; output so far:\n{p.Output}\n{p.Error}");
        }
        p._process.WaitForExit();
        return (p._process.ExitCode, p.Output, p.Error);
    }

    /// <summary>Waits for a line containing <paramref name="text"/>.</summary>
    public void WaitFor(string text, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"sample exited ({_process.ExitCode}) before printing '{text}':\n{Output}\n{Error}");
            }
            TimeSpan left = timeout - watch.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"sample did not print '{text}' in {timeout}:\n{Output}\n{Error}");
            }
            _lines.Wait(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Sends SIGTERM and returns the exit code (the servers stop cleanly on it).</summary>
    public int Terminate(TimeSpan timeout)
    {
        _ = ProcessIds.Signal(_process.Id, ProcessIds.SigTerm);
        if (!_process.WaitForExit(timeout))
        {
            throw new TimeoutException("sample did not exit on SIGTERM");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _ = ProcessIds.Signal(_process.Id, ProcessIds.SigKill);
                _process.WaitForExit(5000);
            }
        }
        finally
        {
            _process.Dispose();
            _lines.Dispose();
        }
    }

    private static string FindSamplesDll()
    {
        string baseDir = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        // .../tests/Plexus.IO.Tests/bin/<Configuration>/net10.0
        string configuration = Path.GetFileName(Path.GetDirectoryName(baseDir)!);
        DirectoryInfo? dir = new(baseDir);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Plexus.slnx")))
        {
            dir = dir.Parent;
        }
        if (dir is null)
        {
            throw new InvalidOperationException($"no Plexus.slnx above {baseDir}");
        }
        string dll = Path.Combine(dir.FullName, "samples", "Plexus.Samples", "bin", configuration, "net10.0", "Plexus.Samples.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"build the samples first ({configuration})", dll);
    }
}
