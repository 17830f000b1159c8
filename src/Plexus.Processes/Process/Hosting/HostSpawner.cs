using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Plexus.Native;

namespace Plexus.Processes.Hosting;

/// <summary>
/// Starts host processes and meets them on a private Unix socket. A host is this same program
/// started again with a startup hook (<c>DOTNET_STARTUP_HOOKS</c>) that takes over before
/// <c>Main</c>: it connects back, proves itself with a one-time token and runs what the parent
/// sends. Being the same program, it resolves every assembly the parent can (an xunit test
/// assembly included) and never runs the parent's <c>Main</c>.
/// </summary>
internal static class HostSpawner
{
    internal const string ControlVariable = "PLEXUS_CONTROL";
    internal const string TokenVariable = "PLEXUS_TOKEN";
    internal const string HooksVariable = "DOTNET_STARTUP_HOOKS";
    internal const string WarmVariable = "PLEXUS_WARM";
    internal const string ParentVariable = "PLEXUS_PARENT";

    private static readonly Lock s_gate = new();
    private static readonly ConcurrentDictionary<string, Host> s_pending = new();
    // Hosts ready to take work, connected or still starting, oldest first.
    private static readonly ConcurrentQueue<Host> s_idle = new();
    private static SafeFd? s_listener;
    private static string? s_directory;
    private static string? s_socketPath;
    private static int s_warmTarget;
    private static bool s_warmChosen;
    private static int s_coldStarts;
    private static Target? s_lastTarget;

    /// <summary>A started host process and, once it has connected, its channel.</summary>
    internal sealed class Host
    {
        private readonly Lock _gate = new();
        private Process? _process;
        private ControlChannel? _channel;
        private Action<Host>? _onConnected;

        public Process Process => _process ?? SpinUntilStarted();
        public ControlChannel? Channel => Volatile.Read(ref _channel);
        public string Token { get; init; } = "";

        internal void Started(Process process) => Volatile.Write(ref _process, process);

        /// <summary>Runs <paramref name="action"/> once the host has connected: now if it has, else on the thread that greets it (in the order given).</summary>
        public void WhenConnected(Action<Host> action)
        {
            lock (_gate)
            {
                if (_channel is null)
                {
                    _onConnected += action;
                    return;
                }
            }
            action(this);
        }

        internal void Connected(ControlChannel channel)
        {
            Action<Host>? action;
            lock (_gate)
            {
                _channel = channel;
                action = _onConnected;
                _onConnected = null;
            }
            action?.Invoke(this);
        }

        // A host may say hello before Process.Start has returned in the parent.
        private Process SpinUntilStarted()
        {
            SpinWait.SpinUntil(() => Volatile.Read(ref _process) is not null);
            return _process!;
        }
    }

    /// <summary>How many idle hosts are kept ready.</summary>
    public static int WarmTarget => Volatile.Read(ref s_warmTarget);

    /// <summary>
    /// Remembers the target just started: idle hosts started from now on resolve it (and compile what its
    /// arguments need) while they wait, since a program tends to start the same target again (a pool's
    /// workers, a loop of children).
    /// </summary>
    public static void Started(Target target) => Volatile.Write(ref s_lastTarget, target); // its text is made only when an idle host starts

    /// <summary>Starts a host; the caller hands it work with <see cref="Host.WhenConnected"/>.</summary>
    /// <param name="idle">Whether the host will wait for work (then it rehearses the launch path meanwhile); a host
    /// started for work at hand does not, as a rehearsal would compete with the launch for the cores.</param>
    public static Host Spawn(bool idle = false)
    {
        PublishMode.EnsureChildrenCanStart();
        string path = ControlPath();
        string token = Convert.ToHexString(SecureRandom.GetBytes(24));
        var info = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        foreach (string arg in s_commandLine.Value.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment[ControlVariable] = path;
        info.Environment[TokenVariable] = token;
        info.Environment[ParentVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Single-file, trimmed and NativeAOT apps have no hook to run; their Main calls ChildProcess.RunIfChild() instead.
        if (PublishMode.UsesStartupHook)
        {
            info.Environment[HooksVariable] = typeof(HostSpawner).Assembly.Location;
        }
        if (idle)
        {
            info.Environment[WarmVariable] = Volatile.Read(ref s_lastTarget)?.Hint ?? "";
        }
        var host = new Host { Token = token };
        s_pending[token] = host;
        try
        {
            host.Started(Process.Start(info) ?? throw new InvalidOperationException("the host process did not start"));
        }
        catch
        {
            s_pending.TryRemove(token, out _);
            throw;
        }
        try
        {
            // After the spawn: the child needs tens of milliseconds to reach its connect (and waits for the
            // socket if it is early), so a program's first start makes the socket meanwhile.
            EnsureListening();
        }
        catch
        {
            Abandon(host);
            ProcessIds.Signal(host.Process.Id, ProcessIds.SigKill);
            throw;
        }
        return host;
    }

    /// <summary>
    /// Starts a host for work at hand when no idle one is there. Unless <see cref="Prestart"/> chose a
    /// number, the second such start in a program turns on one idle host kept warm: a program that
    /// started two children is likely to start more, and the next start then skips the runtime's start-up.
    /// </summary>
    public static Host SpawnForWork()
    {
        Host host = Spawn();
        if (Interlocked.Increment(ref s_coldStarts) == 2)
        {
            lock (s_gate)
            {
                if (!s_warmChosen)
                {
                    Volatile.Write(ref s_warmTarget, 1);
                }
            }
            Refill();
        }
        return host;
    }

    /// <summary>Forgets a host that will never connect (it exited first).</summary>
    public static void Abandon(Host host) => s_pending.TryRemove(host.Token, out _);

    /// <summary>Ends a host that will get no work: it exits when its channel closes (or now, if it has not connected).</summary>
    public static void Dismiss(Host host)
    {
        End(host);
        _ = host.Process.WaitForExitAsync().ContinueWith(static (_, p) => ((Process)p!).Dispose(), host.Process, TaskScheduler.Default);
    }

    private static void End(Host host)
    {
        host.WhenConnected(static h => h.Channel!.Dispose());
        if (host.Channel is null && !host.Process.HasExited)
        {
            Abandon(host);
            ProcessIds.Signal(host.Process.Id, ProcessIds.SigKill);
        }
    }

    /// <summary>An idle host (connected or still starting), or <c>null</c>. The caller calls <see cref="Replenish"/> once it has handed the host its work.</summary>
    public static Host? TakeIdle()
    {
        while (s_idle.TryDequeue(out Host? host))
        {
            if (!host.Process.HasExited)
            {
                return host;
            }
            Abandon(host);
            host.Channel?.Dispose();
            host.Process.Dispose();
        }
        return null;
    }

    /// <summary>
    /// Starts replacements for idle hosts taken, on the thread pool: right after a host got its launch,
    /// so that a program starting children one after another finds the next host well on its way, but not
    /// before, as a <c>Process.Start</c> beside the hand-over doubled its time (2.3 to 4.7 ms).
    /// </summary>
    public static void Replenish()
    {
        if (WarmTarget > 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static _ => Refill(), (object?)null, preferLocal: false);
        }
    }

    /// <summary>Keeps <paramref name="count"/> hosts started and waiting, so a start skips the runtime's start-up.</summary>
    public static void Prestart(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (s_gate)
        {
            s_warmChosen = true;
            Volatile.Write(ref s_warmTarget, count);
            // Fewer than before (0 turns warm hosts off): the ones over the count go now, the automatic one included.
            while (s_idle.Count > count && s_idle.TryDequeue(out Host? extra))
            {
                Dismiss(extra);
            }
        }
        Refill();
    }

    // Long enough for a child on a machine loaded far past its cores; a peer that never says hello is dropped.
    private static readonly TimeSpan s_helloTimeout = TimeSpan.FromSeconds(60);

    private static void Refill()
    {
        lock (s_gate)
        {
            while (s_idle.Count < WarmTarget)
            {
                // Hosts the program asked for (Prestart) rehearse while they wait. The one warm host kept
                // without asking serves children started one after another, so it is taken soon,
                // often before it is up: a rehearsal would only compete with its launch.
                s_idle.Enqueue(Spawn(idle: s_warmChosen));
            }
        }
    }

    /// <summary>Ends idle hosts (closing a host's channel makes it exit; one still starting is killed).</summary>
    public static void StopIdle()
    {
        Volatile.Write(ref s_warmTarget, 0);
        while (s_idle.TryDequeue(out Host? host))
        {
            End(host);
            host.Process.WaitForExit(2000);
            host.Process.Dispose();
        }
    }

    private static readonly Lazy<string[]> s_commandLine = new(() =>
        File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Split('\0'));

    /// <summary>Where hosts connect: a socket in a private directory, both made by <see cref="EnsureListening"/>.</summary>
    private static string ControlPath()
    {
        lock (s_gate)
        {
            if (s_socketPath is null)
            {
                if (!Platform.IsSupported) throw Platform.NotSupported();
                s_directory = Path.Combine(Path.GetTempPath(), $"plexus-{Environment.ProcessId}-{Convert.ToHexString(SecureRandom.GetBytes(8))}");
                s_socketPath = Path.Combine(s_directory, "control.sock");
            }
            return s_socketPath;
        }
    }

    private static void EnsureListening()
    {
        lock (s_gate)
        {
            if (s_listener is not null)
            {
                return;
            }
            if (!Platform.IsSupported) throw Platform.NotSupported(); // ControlPath checked; the analyzer sees this one
            // Owner-only (0700): nobody but this user can reach the socket, and the token proves which child is calling.
            Directory.CreateDirectory(s_directory!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            // Plain system calls, not System.Net.Sockets: a program's first start pays for whatever it brings up.
            File.Delete(s_socketPath!); // left by an attempt whose listen failed
            SafeFd listener = Descriptors.ListenUnix(s_socketPath!, 512);
            s_listener = listener;
            AcceptThread.Start(listener, "plexus-control-accept", OnClient);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Cleanup();
        }
    }

    private static void OnClient(SafeFd client)
    {
        // A child sends its hello right after connecting, so it is usually here already: greet inline (not on
        // the thread pool, which threads blocked in Join may starve). A child slowed by a loaded machine gets a
        // thread of its own, so it neither delays the others nor is dropped for being late.
        if (Descriptors.WaitReadable(client.Fd, 0))
        {
            Greet(client);
        }
        else
        {
            new Thread(() => Greet(client)) { IsBackground = true, Name = "plexus-control-greet" }.Start();
        }
    }

    private static void Greet(SafeFd client)
    {
        var channel = new ControlChannel(client);
        try
        {
            Sockets.SetReceiveTimeout(client.Fd, s_helloTimeout);
            byte[]? frame = channel.Receive([]);
            Sockets.SetReceiveTimeout(client.Fd, TimeSpan.Zero);
            HelloMessage? hello = frame is null ? null : HelloMessage.Read(frame);
            if (hello is null || !s_pending.TryRemove(hello.Token, out Host? host))
            {
                channel.Dispose();
                return;
            }
            host.Connected(channel);
        }
        catch (Exception e) when (e is IOException or ErrnoException or MessagePack.MessagePackSerializationException or ArgumentException)
        {
            channel.Dispose();
        }
    }

    private static void Cleanup()
    {
        ChildProcess.OnParentExit();
        StopIdle();
        if (s_listener is { } listener)
        {
            Sockets.Shutdown(listener.Fd, SocketShutdown.Both); // wakes the accept thread
            listener.Dispose();
        }
        try
        {
            if (s_directory is not null)
            {
                Directory.Delete(s_directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }
}
