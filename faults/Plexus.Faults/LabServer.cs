using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Plexus.Faults;

/// <summary>
/// One <c>plexus serve --model X</c> process this program started (from <c>PLEXUS_DLL</c>), its port,
/// and the descriptors held by it and its children.
/// </summary>
internal sealed class LabServer : IDisposable
{
    private readonly Process _process;

    public LabServer(string model)
    {
        string dll = Environment.GetEnvironmentVariable("PLEXUS_DLL")
            ?? throw new InvalidOperationException("PLEXUS_DLL is not set: run the network rows through faults/run.sh, which builds plexus");
        Model = model;
        Port = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { dll, "serve", "--model", model, "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }
        _process = Process.Start(start)!;
        // A row stopped by run.sh's timeout (SIGTERM) must not leave its server behind.
        AppDomain.CurrentDomain.ProcessExit += OnExit;
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Errors.Add(e.Data); } };
        _process.BeginErrorReadLine();
        Task<string?> ready = Task.Run(async () =>
        {
            string? line;
            while ((line = await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false)) is not null && !line.Contains("listening", StringComparison.Ordinal))
            {
            }
            return line;
        });
        if (!ready.Wait(TimeSpan.FromSeconds(30)) || ready.Result is null)
        {
            Kill();
            throw new FaultCheckException($"plexus serve --model {model} did not start listening within 30 s: {string.Join(" | ", Errors)}");
        }
        _process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
    }

    public string Model { get; }

    public int Port { get; }

    public int Pid => _process.Id;

    public List<string> Errors { get; } = [];

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Descriptors open in the server and every process under it, leaving out assemblies and their symbol
    /// files: the runtime maps a .dll the first time code needs it, and opens its .pdb the first time it
    /// formats a stack trace with file information through it, keeping both for the life of the process
    /// (one each per assembly: not a leak). .NET's sockets do the latter for the first error an awaited
    /// operation reports (a peer's reset, at a trial no one can choose), so counting a .pdb would fail a
    /// trial for a descriptor no connection holds.
    /// </summary>
    public int Descriptors() => DescriptorTargets().Count;

    /// <summary>What <see cref="Descriptors"/> counts, as "whose kind" lines (a socket's or pipe's number left out), for telling what a trial left.</summary>
    public List<string> DescriptorTargets()
    {
        var targets = new List<string>();
        foreach (int pid in ProcFs.Descendants(Pid).Append(Pid))
        {
            string who = pid == Pid ? "server" : "a child"; // children come and go between trials: their kinds compare
            targets.AddRange(ProcFs.FdTargets(pid).Values.Where(target => !IsAssemblyFile(target))
                .Select(target => $"{who} {(target.Contains(":[", StringComparison.Ordinal) ? target[..target.IndexOf(":[", StringComparison.Ordinal)] : target)}"));
        }
        return targets;
    }

    private static bool IsAssemblyFile(string target) =>
        target.EndsWith(".dll", StringComparison.Ordinal) || target.EndsWith(".pdb", StringComparison.Ordinal);

    public Socket Connect()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(new IPEndPoint(IPAddress.Loopback, Port));
        return socket;
    }

    /// <summary>One echo round trip of <paramref name="size"/> bytes on a new connection, bounded by <paramref name="bound"/>.</summary>
    public void Probe(int size, TimeSpan bound)
    {
        using var socket = Connect();
        socket.ReceiveTimeout = (int)bound.TotalMilliseconds;
        byte[] payload = new byte[size];
        Random.Shared.NextBytes(payload);
        var clock = Stopwatch.StartNew();
        socket.Send(payload);
        byte[] echo = new byte[size];
        int got = 0;
        try
        {
            while (got < size)
            {
                int n = socket.Receive(echo, got, size - got, SocketFlags.None);
                Check.That(n > 0, $"{Model}: probe connection closed after {got} of {size} bytes");
                got += n;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            throw new FaultCheckException($"{Model}: probe echo took over {bound.TotalMilliseconds:F0} ms ({got} of {size} bytes)");
        }
        Check.That(echo.AsSpan().SequenceEqual(payload), $"{Model}: probe echo differs from what was sent");
        Check.That(clock.Elapsed < bound, $"{Model}: probe echo took {clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    /// <summary>SIGTERM, then the server must exit 0 within 10 s leaving no process behind.</summary>
    public void Stop()
    {
        HashSet<int> under = ProcFs.Descendants(Pid);
        Sys.Signal(Pid, Sys.SigTerm);
        if (!_process.WaitForExit(10_000))
        {
            Kill();
            throw new FaultCheckException($"{Model}: server still running 10 s after SIGTERM");
        }
        Check.That(_process.ExitCode == 0, $"{Model}: server exited {_process.ExitCode} after SIGTERM: {string.Join(" | ", Errors)}");
        Check.Within(TimeSpan.FromSeconds(5), () => under.All(pid => !ProcFs.IsRunning(pid)), $"{Model}: server's children ending after it");
    }

    private void Kill()
    {
        foreach (int pid in ProcFs.Descendants(Pid))
        {
            Sys.Signal(pid, Sys.SigKill);
        }
        if (!_process.HasExited)
        {
            Sys.Signal(Pid, Sys.SigKill);
            _process.WaitForExit(5000);
        }
    }

    private void OnExit(object? sender, EventArgs e) => Dispose();

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnExit;
        if (!_process.HasExited)
        {
            Kill();
        }
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
