using System.Collections.Concurrent;
using System.Reflection;
using MessagePack;
using Plexus.Native;
using Plexus.Processes.Hosting;
using Plexus.Processes.Serialization;

namespace Plexus.Processes;

/// <summary>
/// Runs a method in a new process; mirrors Python's <c>multiprocessing.Process</c>.
/// </summary>
/// <remarks>
/// The target is a static method or a lambda that captures nothing; its arguments travel by
/// <see cref="PlexusSerializer"/> and are checked when <see cref="Start"/> is called, so an argument
/// that cannot cross (a thread, a lock, a capturing lambda) fails there with the argument's name.
/// The child is this same program started again, taken over before <c>Main</c>; it shares the
/// parent's console, and it exits if the parent dies. Pipe ends and other process-shared objects
/// passed as arguments arrive connected. <see cref="Prestart"/> keeps hosts ready so a start
/// costs a message instead of a runtime start-up.
/// </remarks>
public sealed partial class ChildProcess : IDisposable
{
    private static readonly ConcurrentDictionary<ChildProcess, byte> s_running = new();
    private static int s_counter;

    private readonly Target _target;
    private readonly ParameterInfo[] _parameters;
    private readonly object?[] _args;
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _reportDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private HostSpawner.Host? _host;
    private HandleTable? _handles;
    private ReportMessage? _report;
    private int? _pid;
    private int? _exitCode;
    private bool _disposed;

    private ChildProcess(Delegate target, object?[] args)
        : this(Target.From(target, out ParameterInfo[] parameters), parameters, args)
    {
    }

    private ChildProcess(Target target, ParameterInfo[] parameters, object?[] args)
    {
        _target = target;
        _parameters = parameters;
        if (args.Length != _parameters.Length)
        {
            throw new ArgumentException($"{_target.DisplayName} takes {_parameters.Length} arguments but {args.Length} were given", nameof(args));
        }
        _args = args;
        Name = $"ChildProcess-{Interlocked.Increment(ref s_counter)}";
    }

    /// <summary>A child that will run <paramref name="target"/>.</summary>
    public static ChildProcess Create(Action target) => new(target, []);

    /// <summary>A child that will run <paramref name="target"/>(<paramref name="arg1"/>).</summary>
    public static ChildProcess Create<T1>(Action<T1> target, T1 arg1) => new(target, [arg1]);

    /// <summary>A child that will run <paramref name="target"/> with two arguments.</summary>
    public static ChildProcess Create<T1, T2>(Action<T1, T2> target, T1 arg1, T2 arg2) => new(target, [arg1, arg2]);

    /// <summary>A child that will run <paramref name="target"/> with three arguments.</summary>
    public static ChildProcess Create<T1, T2, T3>(Action<T1, T2, T3> target, T1 arg1, T2 arg2, T3 arg3) => new(target, [arg1, arg2, arg3]);

    /// <summary>A child that will run <paramref name="target"/> with four arguments.</summary>
    public static ChildProcess Create<T1, T2, T3, T4>(Action<T1, T2, T3, T4> target, T1 arg1, T2 arg2, T3 arg3, T4 arg4)
        => new(target, [arg1, arg2, arg3, arg4]);

    /// <summary>A child that will run the asynchronous <paramref name="target"/> to completion.</summary>
    public static ChildProcess Create(Func<Task> target) => new(target, []);

    /// <summary>A child that will run the asynchronous <paramref name="target"/>(<paramref name="arg1"/>).</summary>
    public static ChildProcess Create<T1>(Func<T1, Task> target, T1 arg1) => new(target, [arg1]);

    /// <summary>A child that will run any static <paramref name="target"/>; arguments are checked against its parameters.</summary>
    public static ChildProcess Create(Delegate target, params object?[] args) => new(target, args ?? [null]);

    /// <summary>A child that will run <paramref name="target"/> as described (tests use it to describe a method the child cannot find).</summary>
    internal static ChildProcess Create(Target target, ParameterInfo[] parameters, params object?[] args) => new(target, parameters, args);

    /// <summary>
    /// Keeps <paramref name="count"/> child hosts started and idle, so that <see cref="Start"/> hands
    /// its target to one at once instead of waiting for a runtime to start (0 turns it off). Without
    /// a call, a program's second start that found no idle host turns on one.
    /// </summary>
    public static void Prestart(int count) => HostSpawner.Prestart(count);

    /// <summary>
    /// Runs this process's child work and exits when it was started as a child; returns at once otherwise
    /// (Python's <c>multiprocessing.freeze_support()</c>). Call it as the first line of <c>Main</c> in an app
    /// published as a single file, where a child cannot start through a startup hook; elsewhere it is harmless.
    /// </summary>
    public static void RunIfChild()
    {
        PublishMode.MarkExplicitEntry();
        ChildHost.RunIfChild();
    }

    /// <summary>The name (Python's <c>name</c>); the child sees it as <see cref="ProcessInfo.Name"/>.</summary>
    public string Name { get; set; }

    /// <summary>
    /// Whether the child is ended (SIGTERM) when this process exits normally, instead of being
    /// waited for (Python's <c>daemon</c>). Either way a child never outlives a parent that crashed.
    /// </summary>
    public bool IsDaemon { get; set; }

    /// <summary>The child's process id.</summary>
    /// <exception cref="InvalidOperationException">The child is not started yet (it has an id only from <see cref="Start"/> on).</exception>
    public int Pid => _pid ?? throw NotStarted();

    /// <summary>Whether the child has started and not yet exited.</summary>
    public bool IsAlive => _host is { } host && !host.Process.HasExited;

    /// <summary>
    /// The exit code once the child has exited and been joined (<c>null</c> before): 0 when the target
    /// returned, 1 when it threw, the code given to <c>Environment.Exit</c>, or minus the signal number
    /// when a signal ended it (-15 after <see cref="Terminate"/>, -9 after <see cref="Kill"/>), as in Python.
    /// </summary>
    public int? ExitCode => _exitCode;

    /// <summary>
    /// Why the child failed, once joined: the exception its target threw, or what kept the target from
    /// running (<see cref="ChildProcessException.BeforeTarget"/>: the launch could not be read, the target
    /// not found, an argument not rebuilt); <c>null</c> when the target returned or the child was signalled.
    /// </summary>
    public ChildProcessException? Error { get; private set; }

    /// <summary>
    /// Starts the child. Arguments are serialized here; one that cannot cross (or is too large) throws
    /// now, naming it.
    /// </summary>
    /// <remarks>
    /// Process-shared arguments (pipe ends, sockets, queues, locks, shared values) are captured when this
    /// returns: the launch holds its own reference to each descriptor until the child has it. So this
    /// process may close or dispose its copies right away, as in Python's <c>p.start(); child_conn.close()</c>;
    /// a <see cref="Connection"/> or <see cref="SharedSocket"/> argument is moved, and already closed here
    /// when this returns, while a queue or lock stays usable here until disposed.
    /// </remarks>
    /// <returns>This object, for chaining.</returns>
    /// <exception cref="ArgumentException">An argument cannot be sent to another process, or the arguments are too large.</exception>
    public ChildProcess Start() => StartOn(null);

    /// <summary>Starts the child on <paramref name="host"/> (one started ahead for it), or on an idle or a new host.</summary>
    internal ChildProcess StartOn(HostSpawner.Host? host)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_host is not null)
            {
                throw new InvalidOperationException($"{Name} was already started; a process object can be started only once (create another)");
            }
            var handles = new HandleTable();
            try
            {
                // The host first: its runtime starts up while this process builds the launch (in a process's
                // first start that is MessagePack's and the target's first use, tens of milliseconds).
                host ??= HostSpawner.TakeIdle() ?? HostSpawner.SpawnForWork();
                LaunchMessage launch = BuildLaunch(handles);
                _handles = handles;
                HostSpawner.Started(_target);
                s_running[this] = 0;
                _host = host;
                _pid = host.Process.Id;
                host.WhenConnected(h => Attach(h, launch, handles));
                HostSpawner.Replenish();
            }
            catch
            {
                s_running.TryRemove(this, out _);
                handles.Dispose();
                if (host is not null && _host is null)
                {
                    HostSpawner.Dismiss(host);
                }
                throw;
            }
            handles.Commit();
        }
        return this;
    }

    /// <summary>Waits for the child to exit (Python's <c>join</c>).</summary>
    /// <param name="timeout">How long to wait; <c>null</c> waits without limit.</param>
    /// <returns><c>true</c> when the child has exited; <c>false</c> when the timeout passed first.</returns>
    /// <exception cref="ObjectDisposedException">This object was disposed.</exception>
    public bool Join(TimeSpan? timeout = null)
    {
        HostSpawner.Host host = StartedHost();
        bool exited = timeout is null ? Wait(host) : host.Process.WaitForExit(timeout.Value);
        if (exited)
        {
            Finish(host);
        }
        return exited;
    }

    /// <summary>Waits for the child to exit without blocking a thread.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public async Task JoinAsync(CancellationToken cancellationToken = default)
    {
        HostSpawner.Host host = StartedHost();
        await host.Process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        Finish(host);
    }

    /// <summary>Asks the child to stop with SIGTERM (Python's <c>terminate</c>); <see cref="ExitCode"/> becomes -15.</summary>
    public void Terminate() => Signal(ProcessIds.SigTerm);

    /// <summary>Ends the child with SIGKILL (Python's <c>kill</c>); <see cref="ExitCode"/> becomes -9.</summary>
    public void Kill() => Signal(ProcessIds.SigKill);

    /// <summary>Kills the child if it still runs, waits for it and releases everything it held.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        if (_host is { } host)
        {
            if (!host.Process.HasExited)
            {
                ProcessIds.Signal(host.Process.Id, ProcessIds.SigKill);
            }
            Wait(host);
            Finish(host);
            host.Process.Dispose();
        }
        s_running.TryRemove(this, out _);
        CloseSentinel();
    }

    /// <inheritdoc />
    public override string ToString() => $"<{Name} pid={_pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} " +
        (_host is null ? "initial" : IsAlive ? "started" : $"stopped exitcode={ExitCode}") + (IsDaemon ? " daemon>" : ">");

    /// <summary>At a normal exit of this process: daemons are terminated, other children are waited for.</summary>
    internal static void OnParentExit()
    {
        foreach (ChildProcess child in s_running.Keys)
        {
            if (child.IsDaemon && child.IsAlive)
            {
                child.Terminate();
            }
        }
        foreach (ChildProcess child in s_running.Keys)
        {
            if (child._host is { } host)
            {
                Wait(host);
            }
        }
    }

    private LaunchMessage BuildLaunch(HandleTable handles)
    {
        MessagePackSerializerOptions options = PlexusSerializerOptions.Create(handles);
        byte[][] arguments = new byte[_args.Length][];
        var launch = new LaunchMessage
        {
            AssemblyName = _target.AssemblyName,
            ModuleVersionId = _target.ModuleVersionId,
            MetadataToken = _target.MetadataToken,
            DisplayName = _target.DisplayName,
            Signature = _target.Signature,
            ProcessName = Name,
            Arguments = arguments,
        };
        long room = ControlChannel.MaxFrame - launch.SizeWithoutArguments;
        for (int i = 0; i < _args.Length; i++)
        {
            ParameterInfo parameter = _parameters[i];
            object? value = _args[i];
            if (value is not null && !parameter.ParameterType.IsInstanceOfType(value))
            {
                throw new ArgumentException($"argument '{parameter.Name}' of {_target.DisplayName} is a {value.GetType()}, not a {parameter.ParameterType}");
            }
            if (value is not null && PlexusSerializer.WhyNotSerializable(value.GetType()) is { } why)
            {
                throw Unserializable(parameter, value.GetType(), why, null);
            }
            if (PublishMode.IsNativeAot && NativeAotArguments.WhyNot(parameter.ParameterType) is { } whyNotAot)
            {
                throw Unserializable(parameter, parameter.ParameterType, whyNotAot, null);
            }
            var buffer = new LaunchBuffer((int)Math.Max(room, 0));
            try
            {
                if (!LaunchArguments.TryWrite(parameter.ParameterType, value, buffer, handles))
                {
                    PlexusSerializer.Serialize(parameter.ParameterType, buffer, value, options);
                }
            }
            catch (Exception e) when (Find<LaunchTooLargeException>(e) is { } large)
            {
                throw new ArgumentException(
                    $"argument '{parameter.Name}' of {_target.DisplayName} takes at least {large.AtLeast} bytes, and with the rest of the start " +
                    $"that is over the {ControlChannel.MaxFrame}-byte (256 MiB) limit of what a child's start carries; pass large data " +
                    "in shared memory instead (a ProcessArray<T>), or send it over a Connection in parts after the start",
                    parameter.Name, e);
            }
            catch (MessagePackSerializationException e)
            {
                Exception cause = e.InnerException ?? e;
                string reason = cause is NotSerializableException ns ? ns.Message : cause.Message;
                throw Unserializable(parameter, value?.GetType() ?? parameter.ParameterType, reason, e);
            }
            arguments[i] = buffer.WrittenSpan.ToArray();
            room -= LaunchMessage.ArgumentSize(arguments[i]);
        }
        if (handles.Fds.Count > Descriptors.MaxPerMessage)
        {
            throw new ArgumentException(
                $"the arguments of {_target.DisplayName} hold {handles.Fds.Count} descriptors (pipe ends, sockets, queues, locks, shared " +
                $"values), more than the {Descriptors.MaxPerMessage} a child's start can carry; pass fewer process-shared objects " +
                "(e.g. one queue of work instead of many pipes)");
        }
        return launch;
    }

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }
        return null;
    }

    private ArgumentException Unserializable(ParameterInfo parameter, Type type, string reason, Exception? inner) => new(
        $"argument '{parameter.Name}' of {_target.DisplayName} ({type}) cannot be sent to child process {Name}: {reason}",
        parameter.Name, inner);

    /// <summary>Sends the launch to a connected host, releases the descriptors it carried and starts reading its report.</summary>
    private void Attach(HostSpawner.Host host, LaunchMessage launch, HandleTable handles)
    {
        ControlChannel channel = host.Channel!;
        try
        {
            channel.Send(launch, handles);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The host died before it could take the work (or Join gave up on it); Join reports the exit.
        }
        finally
        {
            handles.Dispose();
        }
        var reader = new Thread(() => ReadReport(channel)) { IsBackground = true, Name = $"plexus-report-{Name}" };
        reader.UnsafeStart();
    }

    private void ReadReport(ControlChannel channel)
    {
        try
        {
            if (channel.Receive([]) is { } frame)
            {
                _report = ReportMessage.Read(frame);
            }
        }
        catch (Exception e) when (e is IOException or MessagePackSerializationException or InvalidDataException or ObjectDisposedException)
        {
            // No report: Finish falls back to the exit status.
        }
        finally
        {
            _reportDone.TrySetResult();
        }
    }

    private void Finish(HostSpawner.Host host)
    {
        lock (_gate)
        {
            if (_exitCode is not null)
            {
                return;
            }
            bool connected = host.Channel is not null;
            if (!connected)
            {
                // It exited before connecting: the work never left, and the descriptors it carried must close.
                HostSpawner.Abandon(host);
                _handles?.Dispose();
                _reportDone.TrySetResult();
            }
            _reportDone.Task.Wait(TimeSpan.FromSeconds(5));
            host.Channel?.Dispose();
            int raw = host.Process.ExitCode;
            ReportMessage? report = _report;
            _exitCode = report?.ExitCode ?? (raw > 128 && raw < 128 + 65 ? -(raw - 128) : raw);
            if (report?.ErrorType is { } type)
            {
                Error = new ChildProcessException(type, report.ErrorMessage ?? "", report.ErrorStack ?? "", Pid, Name, report.BeforeTarget);
            }
            else if (!connected && _exitCode > 0)
            {
                // Nothing could report (the host failed before it reached this process): say so rather than stay silent.
                Error = new ChildProcessException(
                    "Plexus.Processes.ChildStartFailure",
                    $"the child process exited with code {_exitCode} before it connected to its parent, so its target never ran; its standard error says why",
                    "", Pid, Name, beforeTarget: true);
            }
            s_running.TryRemove(this, out _);
        }
    }

    private void Signal(int signal)
    {
        HostSpawner.Host host = StartedHost();
        if (!host.Process.HasExited)
        {
            ProcessIds.Signal(host.Process.Id, signal);
        }
    }

    private HostSpawner.Host StartedHost()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _host ?? throw NotStarted();
    }

    private InvalidOperationException NotStarted() =>
        new($"{Name} has not been started; call Start() first (a child has a process id and can be joined only from then on)");

    private static bool Wait(HostSpawner.Host host)
    {
        host.Process.WaitForExit();
        return true;
    }
}
