using System.Net.Sockets;
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
    private static ControlChannel? _channel;
    private static int _reported;

    public static void RunIfChild()
    {
        string? path = Environment.GetEnvironmentVariable(HostSpawner.ControlVariable);
        string? token = Environment.GetEnvironmentVariable(HostSpawner.TokenVariable);
        if (path is null || token is null)
        {
            return;
        }
        // Processes this child starts by ordinary means must not become hosts themselves.
        Environment.SetEnvironmentVariable(HostSpawner.ControlVariable, null);
        Environment.SetEnvironmentVariable(HostSpawner.TokenVariable, null);
        Environment.SetEnvironmentVariable(HostSpawner.HooksVariable, null);
        Environment.Exit(Run(path, token));
    }

    private static int Run(string path, string token)
    {
        LaunchMessage launch;
        List<int> fds = [];
        try
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            _channel = new ControlChannel(socket);
            _channel.Send(new HelloMessage { Token = token, Pid = Environment.ProcessId });
            byte[]? frame = _channel.Receive(fds);
            if (frame is null)
            {
                return 0; // an idle host dismissed, or a parent that went away before sending work
            }
            launch = PlexusSerializer.Deserialize<LaunchMessage>(frame);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            Console.Error.WriteLine($"plexus: child {Environment.ProcessId} lost its parent before starting: {e.Message}");
            return 70;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"plexus: child {Environment.ProcessId} could not start: {e}");
            return 70;
        }

        ProcessInfo.IsChild = true;
        ProcessInfo.Name = launch.ProcessName;
        new Thread(WatchParent) { IsBackground = true, Name = "plexus-parent-watch" }.Start();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Report(new ReportMessage { ExitCode = -ProcessIds.SigTerm }));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Report(new ReportMessage { ExitCode = Environment.ExitCode });

        var handles = new HandleTable(fds);
        try
        {
            var target = new Target(launch.AssemblyName, launch.ModuleVersionId, launch.MetadataToken, launch.DisplayName);
            (MethodInfo method, object? instance) = target.Resolve();
            ParameterInfo[] parameters = method.GetParameters();
            if (parameters.Length != launch.Arguments.Length)
            {
                throw new InvalidOperationException($"{launch.DisplayName} takes {parameters.Length} arguments but {launch.Arguments.Length} arrived");
            }
            MessagePack.MessagePackSerializerOptions options = PlexusSerializerOptions.Create(handles);
            object?[] args = new object?[parameters.Length];
            for (int i = 0; i < args.Length; i++)
            {
                args[i] = PlexusSerializer.Deserialize(parameters[i].ParameterType, launch.Arguments[i], options);
            }
            handles.CloseUntaken();
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
            handles.CloseUntaken();
            Console.Out.Flush();
            Console.Error.Flush();
        }
    }

    /// <summary>Sends the first report only: how the target ended beats how the process exited.</summary>
    private static void Report(ReportMessage report)
    {
        if (Interlocked.Exchange(ref _reported, 1) != 0 || _channel is null)
        {
            return;
        }
        try
        {
            _channel.Send(report);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // The parent is gone; nobody is left to tell.
        }
    }

    /// <summary>The parent never writes after the launch, so EOF here means it has exited or crashed.</summary>
    private static void WatchParent()
    {
        try
        {
            _channel!.Receive([]);
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidDataException)
        {
        }
        ProcessIds.Signal(Environment.ProcessId, ProcessIds.SigKill);
    }
}
