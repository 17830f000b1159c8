using System.Reflection;
using System.Runtime.InteropServices;
using Plexus.Native;
using Plexus.Processes.Serialization;

namespace Plexus.Processes.Hosting;

/// <summary>
/// The child's side: run from the startup hook before the program's <c>Main</c>, it connects to
/// the parent, receives its target and arguments, runs it, reports how it ended and exits, so the
/// program's own <c>Main</c> never runs. It exits at once if the parent goes away.
/// </summary>
internal static class ChildHost
{
    private static ControlChannel? s_channel;
    private static int s_reported;

    public static void RunIfChild()
    {
        string? path = Environment.GetEnvironmentVariable(HostSpawner.ControlVariable);
        string? token = Environment.GetEnvironmentVariable(HostSpawner.TokenVariable);
        if (path is null || token is null)
        {
            return;
        }
        string? hint = Environment.GetEnvironmentVariable(HostSpawner.WarmVariable);
        Environment.SetEnvironmentVariable(HostSpawner.WarmVariable, null);
        _ = int.TryParse(Environment.GetEnvironmentVariable(HostSpawner.ParentVariable), System.Globalization.CultureInfo.InvariantCulture, out int parent);
        Environment.SetEnvironmentVariable(HostSpawner.ParentVariable, null);
        // Processes this child starts by ordinary means must not become hosts themselves.
        Environment.SetEnvironmentVariable(HostSpawner.ControlVariable, null);
        Environment.SetEnvironmentVariable(HostSpawner.TokenVariable, null);
        Environment.SetEnvironmentVariable(HostSpawner.HooksVariable, null);
        Environment.Exit(Run(path, token, hint, parent));
    }

    /// <summary>The exit code of a child whose target never ran (<c>EX_SOFTWARE</c>).</summary>
    internal const int StartFailureExitCode = 70;

    private static int Run(string path, string token, string? hint, int parent)
    {
        try
        {
            // A prestarted host rehearses the launch while it waits for work, so its start costs only the
            // hand-over. A host started for work at hand goes straight to it: on a small machine a rehearsal
            // beside the launch slows it down (it competes for the cores and the runtime's type-loading locks).
            if (hint is not null)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static hint => Rehearse(hint), hint, preferLocal: false);
            }
            s_channel = new ControlChannel(ConnectToParent(path, parent));
            s_channel.Send(new HelloMessage { Token = token, Pid = Environment.ProcessId });
        }
        catch (Exception e)
        {
            // No channel, so nothing to report on: the parent sees a child that exited before connecting.
            Console.Error.WriteLine($"plexus: child {Environment.ProcessId} could not reach its parent: {e}");
            return StartFailureExitCode;
        }

        // From here every failure before the target runs is reported to the parent (as ChildProcess.Error), not only printed.
        LaunchMessage launch;
        List<int> fds = [];
        try
        {
            byte[]? frame = s_channel.Receive(fds);
            if (frame is null)
            {
                return 0; // an idle host dismissed, or a parent that went away before sending work
            }
            launch = LaunchMessage.Read(frame);
        }
        catch (Exception e)
        {
            new HandleTable(fds).CloseUntaken();
            return StartFailed(e, "its launch could not be read");
        }

        ProcessInfo.IsChild = true;
        ProcessInfo.Name = launch.ProcessName;
        new Thread(WatchParent) { IsBackground = true, Name = "plexus-parent-watch" }.Start();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Report(new ReportMessage { ExitCode = -ProcessIds.SigTerm }));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Report(new ReportMessage { ExitCode = Environment.ExitCode });

        var handles = new HandleTable(fds);
        MethodInfo method;
        object? instance;
        object?[] args;
        try
        {
            (method, instance, args) = Prepare(launch, handles);
        }
        catch (Exception e)
        {
            return StartFailed(e, $"{launch.DisplayName} could not be prepared");
        }
        finally
        {
            handles.CloseUntaken();
        }
        try
        {
            object? result = method.Invoke(instance, args);
            if (result is Task task)
            {
                task.GetAwaiter().GetResult();
            }
            Report(new ReportMessage { ExitCode = 0 });
            return 0;
        }
        catch (Exception e)
        {
            Exception error = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
            Console.Out.Flush();
            Console.Error.WriteLine($"Process {launch.ProcessName} (pid {Environment.ProcessId}):");
            Console.Error.WriteLine(error.ToString());
            Report(new ReportMessage
            {
                ExitCode = 1,
                ErrorType = error.GetType().FullName,
                ErrorMessage = error.Message,
                ErrorStack = error.ToString(),
            });
            return 1;
        }
        finally
        {
            Console.Out.Flush();
            Console.Error.Flush();
        }
    }

    /// <summary>How long a child waits for its parent's control socket to appear (the parent makes it after the spawn).</summary>
    private static readonly TimeSpan s_socketWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Connects to the parent's control socket. A program's first child is spawned before that socket
    /// exists (making it overlaps the child's runtime start), so a missing or not yet listening socket is
    /// waited for, briefly, and only while <paramref name="parent"/> is still this process's parent: a
    /// parent that died first never makes it, and its child must end at once.
    /// </summary>
    private static SafeFd ConnectToParent(string path, int parent)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                return Descriptors.ConnectUnix(path);
            }
            catch (ErrnoException e) when (e.Errno is Errnos.ENOENT or Errnos.ECONNREFUSED && ProcessIds.Parent() == parent
                && System.Diagnostics.Stopwatch.GetElapsedTime(start) < s_socketWait)
            {
                Thread.Sleep(1);
            }
        }
    }

    /// <summary>Tells the parent (and this child's standard error) why the target never ran.</summary>
    private static int StartFailed(Exception e, string what)
    {
        Exception innermost = e;
        while (innermost.InnerException is { } inner)
        {
            innermost = inner;
        }
        string message = innermost == e ? e.Message : $"{e.Message} ({innermost.GetType().Name}: {innermost.Message})";
        Console.Error.WriteLine($"plexus: child {Environment.ProcessId} did not run its target: {what}: {e}");
        Console.Error.Flush();
        Report(new ReportMessage
        {
            ExitCode = StartFailureExitCode,
            ErrorType = e.GetType().FullName,
            ErrorMessage = $"{what}: {message}",
            ErrorStack = e.ToString(),
            BeforeTarget = true,
        });
        return StartFailureExitCode;
    }

    private static (MethodInfo Method, object? Instance, object?[] Args) Prepare(LaunchMessage launch, HandleTable handles)
    {
        var target = new Target(launch.AssemblyName, launch.ModuleVersionId, launch.MetadataToken, launch.DisplayName, launch.Signature);
        (MethodInfo method, object? instance) = target.Resolve();
        ParameterInfo[] parameters = method.GetParameters();
        if (parameters.Length != launch.Arguments.Length)
        {
            throw new InvalidOperationException($"{launch.DisplayName} takes {parameters.Length} arguments but {launch.Arguments.Length} arrived");
        }
        object?[] args = new object?[parameters.Length];
        if (args.Length == 0)
        {
            return (method, instance, args); // no serializer on the path at all: its first use costs milliseconds
        }
        MessagePack.MessagePackSerializerOptions? options = null;
        for (int i = 0; i < args.Length; i++)
        {
            Type type = parameters[i].ParameterType;
            try
            {
                if (!LaunchArguments.TryRead(type, launch.Arguments[i], handles, out args[i]))
                {
                    options ??= PlexusSerializerOptions.Create(handles);
                    args[i] = PlexusSerializer.Deserialize(type, launch.Arguments[i], options);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidDataException($"argument '{parameters[i].Name}' ({type}) could not be rebuilt in the child", e);
            }
        }
        return (method, instance, args);
    }

    /// <summary>
    /// Runs the launch path once on made-up work, so the real launch finds it compiled: a target
    /// resolved, arguments (a pipe end among them) deserialized, a pipe used; then, when the parent
    /// hinted at its last target, that target's assembly and method are loaded and its argument
    /// types' formatters built.
    /// </summary>
    private static void Rehearse(string hint)
    {
        try
        {
            Target target = Target.From(RehearsalTarget, out ParameterInfo[] parameters);
            (Connection a, Connection b) = ProcessPipe.Create();
            var sent = new HandleTable();
            MessagePack.MessagePackSerializerOptions options = PlexusSerializerOptions.Create(sent);
            object?[] values = [1, "text", new object?[] { 11, null, "hello" }, a];
            byte[][] arguments = new byte[values.Length][];
            for (int i = 0; i < values.Length; i++)
            {
                var buffer = new System.Buffers.ArrayBufferWriter<byte>();
                PlexusSerializer.Serialize(parameters[i].ParameterType, buffer, values[i], options);
                arguments[i] = buffer.WrittenSpan.ToArray();
            }
            var launch = new LaunchMessage
            {
                AssemblyName = target.AssemblyName,
                ModuleVersionId = target.ModuleVersionId,
                MetadataToken = target.MetadataToken,
                DisplayName = target.DisplayName,
                Signature = target.Signature,
                Arguments = arguments,
            };
            var bytes = new System.Buffers.ArrayBufferWriter<byte>();
            var writer = new ControlWriter(bytes);
            launch.Write(ref writer);
            var received = new HandleTable(sent.Fds.Select(Descriptors.Duplicate));
            (MethodInfo method, object? instance, object?[] args) = Prepare(LaunchMessage.Read(bytes.WrittenSpan), received);
            received.CloseUntaken();
            sent.Commit();
            sent.Dispose();
            method.Invoke(instance, args);
            using (a)
            using (b)
            using (var moved = (Connection)args[3]!)
            {
                moved.SendBytes([1, 2, 3]);
                b.ReceiveBytes();
                b.Send<object?>(values[2]);
                moved.Receive();
            }
            if (hint.Length > 0 && Target.FromHint(hint) is { } hinted)
            {
                WarmUp(hinted);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A rehearsal that fails costs nothing but the time it saved; the real launch reports real errors.
        }
    }

    /// <summary>Loads a target and builds its argument types' formatters (by reading a nil for each, which needs no descriptors).</summary>
    private static void WarmUp(Target target)
    {
        (MethodInfo method, _) = target.Resolve();
        MessagePack.MessagePackSerializerOptions options = PlexusSerializerOptions.Create(new HandleTable());
        byte[] nil = [MessagePack.MessagePackCode.Nil];
        foreach (ParameterInfo parameter in method.GetParameters())
        {
            if (!parameter.ParameterType.IsValueType || Nullable.GetUnderlyingType(parameter.ParameterType) is not null)
            {
                PlexusSerializer.Deserialize(parameter.ParameterType, nil, options);
            }
        }
    }

    private static void RehearsalTarget(int number, string text, object? value, Connection? connection)
        => GC.KeepAlive((number, text, value, connection));

    /// <summary>Sends the first report only: how the target ended beats how the process exited.</summary>
    private static void Report(ReportMessage report)
    {
        if (Interlocked.Exchange(ref s_reported, 1) != 0 || s_channel is null)
        {
            return;
        }
        try
        {
            s_channel.Send(report);
        }
        catch (IOException)
        {
            // The parent is gone; nobody is left to tell.
        }
    }

    /// <summary>The parent never writes after the launch, so EOF here means it has exited or crashed.</summary>
    private static void WatchParent()
    {
        try
        {
            s_channel!.Receive([]);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
        }
        ProcessIds.Signal(Environment.ProcessId, ProcessIds.SigKill);
    }
}
