using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Plexus.Lab.Tests;

/// <summary>A <c>dotnet plexus.dll ...</c> process with its output captured line by line.</summary>
internal sealed partial class LabProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    private LabProcess(string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(PlexusDll);
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Add(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Add(_stderr, e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public string[] Stdout
    {
        get
        {
            lock (_stdout)
            {
                return [.. _stdout];
            }
        }
    }

    public string[] Stderr
    {
        get
        {
            lock (_stderr)
            {
                return [.. _stderr];
            }
        }
    }

    public string Output => string.Join("\n", Stdout) + "\n" + string.Join("\n", Stderr);

    /// <summary>The built plexus.dll, found from the repository root (the directory with Plexus.slnx).</summary>
    public static string PlexusDll { get; } = FindPlexus();

    public static LabProcess Start(params string[] args) => new(args);

    /// <summary>Starts <c>plexus serve</c> and waits for its <c>listening</c> line.</summary>
    public static LabProcess Serve(string model, int port, params string[] extra) => Serve(model, port, null, extra);

    /// <summary>Starts <c>plexus serve</c> with extra environment variables and waits for its <c>listening</c> line.</summary>
    public static LabProcess Serve(string model, int port, IReadOnlyDictionary<string, string>? environment, params string[] extra)
    {
        var server = new LabProcess(["serve", "--model", model, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. extra], environment);
        if (!server.WaitForLine(l => l.Contains("listening", StringComparison.Ordinal), TimeSpan.FromSeconds(60)))
        {
            string output = server.Output;
            server.Dispose();
            throw new InvalidOperationException($"plexus serve --model {model} did not start listening:\n{output}");
        }
        return server;
    }

    /// <summary>Runs plexus to completion and returns its exit code.</summary>
    public static (int ExitCode, LabProcess Process) Run(TimeSpan timeout, params string[] args)
    {
        var p = Start(args);
        return (p.WaitForExit(timeout), p);
    }

    public static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    public static JsonElement ReadJson(string path)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    public bool WaitForLine(Func<string, bool> match, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Stdout.Any(match))
            {
                return true;
            }
            if (_process.HasExited)
            {
                _process.WaitForExit();
                return Stdout.Any(match);
            }
            Thread.Sleep(50);
        }
        return false;
    }

    /// <summary>Waits for exit (all output read); fails the test on timeout after killing the tree.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            string output = Output;
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            throw new TimeoutException($"plexus did not exit within {timeout.TotalSeconds:0} s; output:\n{output}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Terminate() => Check(Kill(_process.Id, 15));

    /// <summary>Pids of this process's descendants (children, grandchildren), from /proc.</summary>
    public List<int> Descendants()
    {
        var parents = new Dictionary<int, int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out int pid) && ParentOf(pid) is { } ppid)
            {
                parents[pid] = ppid;
            }
        }
        var found = new List<int>();
        var frontier = new List<int> { _process.Id };
        while (frontier.Count > 0)
        {
            var next = parents.Where(p => frontier.Contains(p.Value)).Select(p => p.Key).ToList();
            found.AddRange(next);
            frontier = next;
        }
        return found;
    }

    /// <summary>Whether <paramref name="pid"/> is still a running (not zombie) process.</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            char state = stat[stat.LastIndexOf(')') + 2];
            return state != 'Z' && state != 'X';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void Add(List<string> lines, string? line)
    {
        if (line is not null)
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }
    }

    private static void Check(int result)
    {
        if (result != 0)
        {
            throw new InvalidOperationException($"kill failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private static string FindPlexus()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        // .../tests/Plexus.Lab.Tests/bin/<Configuration>/net10.0/
        string configuration = dir.Parent!.Name;
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Plexus.slnx")))
        {
            dir = dir.Parent;
        }
        if (dir is null)
        {
            throw new InvalidOperationException($"no Plexus.slnx above {AppContext.BaseDirectory}");
        }
        string dll = Path.Combine(dir.FullName, "src", "Plexus.Lab", "bin", configuration, "net10.0", "plexus.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"build src/Plexus.Lab ({configuration}) first: {dll} is missing", dll);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
