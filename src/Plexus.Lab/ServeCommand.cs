using System.Runtime.InteropServices;
using Plexus.Lab.Models;
using Plexus.Lab.Native;

namespace Plexus.Lab;

/// <summary><c>plexus serve</c>: run one echo-server model until SIGINT or SIGTERM.</summary>
internal static class ServeCommand
{
    public static int Run(string modelName, string host, int port, int workers, int maxProcesses)
    {
        ServerModel model;
        ServeOptions options;
        try
        {
            model = ServerModel.Create(modelName);
            if (port is < 1 or > 65535)
            {
                throw new LabException($"--port {port} is out of range; use 1-65535");
            }
            if (workers is < 0 or > 256)
            {
                throw new LabException($"--workers {workers} is out of range; use 1-256 (or leave it out for the model's default)");
            }
            if (maxProcesses is < 1 or > 10_000)
            {
                throw new LabException($"--max-processes {maxProcesses} is out of range; use 1-10000");
            }
            options = new ServeOptions(Sys.Resolve(host), port, workers, maxProcesses);
        }
        catch (LabException e)
        {
            Console.Error.WriteLine($"plexus serve: {e.Message}");
            return 2;
        }

        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // stop cleanly instead of dying mid-write
            stop.Cancel();
        }
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        var stats = new ServerStats();
        Accepting.Prepare();
        try
        {
            model.Run(
                options,
                stats,
                log: line => Console.WriteLine($"plexus serve: {line}"),
                ready: () => Console.WriteLine($"plexus serve: {modelName} listening on {options.Host}:{options.Port} (pid {Environment.ProcessId})"),
                stop.Token);
        }
        catch (LabException e)
        {
            Console.Error.WriteLine($"plexus serve: {e.Message}");
            return 1;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"plexus serve: {modelName} failed: {e.GetType().Name}: {e.Message}");
            return 1;
        }
        string refused = stats.Refused > 0 ? $", refused {stats.Refused} (descriptor beyond the model's limit)" : "";
        Console.WriteLine($"plexus serve: stopped; served {stats.Connections} connections, echoed {stats.Bytes} bytes{refused}");
        return 0;
    }
}
