using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Plexus.Redis.Tests;

/// <summary>
/// A redis-server of the test's own: a free loopback port, a temporary directory, a password,
/// append-only persistence fsynced on every write; stopped by its PID, never by name.
/// </summary>
internal sealed class RedisServer : IDisposable
{
    public const string Password = "plexus-test-password";

    private readonly string _binary;
    private readonly string[] _launcher;
    private readonly string _bind;
    private readonly string[] _extra;
    private Process? _process;

    /// <summary>Starts a server on loopback, or under <paramref name="launcher"/> (e.g. <c>ip netns exec NS</c>) bound to <paramref name="bind"/>.</summary>
    /// <param name="launcher">A command to start it under, e.g. <c>ip netns exec NS</c>.</param>
    /// <param name="bind">The address to listen on.</param>
    /// <param name="extraArgs">More redis-server options, after the defaults (so they override them).</param>
    public RedisServer(string[]? launcher = null, string bind = "127.0.0.1", Func<RedisServer, string[]>? extraArgs = null)
    {
        _binary = FindBinary();
        _launcher = launcher ?? [];
        _bind = bind;
        Port = FreePort();
        Directory = System.IO.Directory.CreateTempSubdirectory("plexus-redis-").FullName;
        _extra = extraArgs?.Invoke(this) ?? [];
        Start();
    }

    public int Port { get; }

    public string Directory { get; }

    public string Url => $"redis://:{Password}@{_bind}:{Port}";

    public string Socket => Path.Combine(Directory, "redis.sock");

    /// <summary>The same server through its Unix socket, which reaches it from any network namespace.</summary>
    public string SocketUrl => $"unix://{Socket}?password={Password}";

    public int Pid => _process?.Id ?? 0;

    /// <summary>Starts (or restarts) the server on the same port and directory, so the append-only file is replayed.</summary>
    public void Start()
    {
        var start = new ProcessStartInfo(_launcher.Length > 0 ? _launcher[0] : _binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Directory,
        };
        foreach (string arg in _launcher.Skip(1).Concat(_launcher.Length > 0 ? [_binary] : []).Concat(
        [
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", _bind, "--dir", Directory,
            "--unixsocket", Socket, "--unixsocketperm", "700",
            "--requirepass", Password, "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
            "--protected-mode", "yes", "--logfile", "",
            .. _extra,
        ]))
        {
            start.ArgumentList.Add(arg);
        }
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Wait.Until(Answers, TimeSpan.FromSeconds(20), $"redis-server on port {Port} did not answer PING");
    }

    /// <summary>SIGKILLs the server (by its PID) and reaps it.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // The temp directory is left for the OS to clean.
        }
    }

    private bool Answers()
    {
        try
        {
            using var client = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            client.Connect(new UnixDomainSocketEndPoint(Socket));
            using var stream = new NetworkStream(client);
            byte[] ask = System.Text.Encoding.ASCII.GetBytes($"AUTH {Password}\r\nPING\r\n");
            stream.Write(ask);
            var buffer = new byte[64];
            int total = 0;
            stream.ReadTimeout = 2000;
            while (total < 12)
            {
                int n = stream.Read(buffer, total, buffer.Length - total);
                if (n == 0)
                {
                    return false;
                }
                total += n;
            }
            return System.Text.Encoding.ASCII.GetString(buffer, 0, total).Contains("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false;
        }
    }

    private static string FindBinary()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin").Append("/usr/sbin"))
        {
            string candidate = Path.Combine(dir, "redis-server");
            if (dir.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("redis-server is not installed, so the Plexus.Redis tests cannot run: install it (apt-get install -y redis-server; .ci/run does this) and run the tests again");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
