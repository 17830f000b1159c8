using System.CommandLine;
using System.Runtime.InteropServices;
using Plexus.Redis;

namespace Plexus.Lab;

/// <summary>
/// <c>plexus worker --redis URL --app APP.dll</c>: serve a Redis queue's pool tasks with local
/// processes until SIGTERM or SIGINT, which drain (no new tasks, held ones finish) before exiting.
/// </summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var redis = new Option<string>("--redis") { Description = "Redis URL: redis://[user]:password@host:port[/db] (rediss:// for TLS, ?auth=none for a server without a password)", Required = true };
        var app = new Option<string>("--app") { Description = "the app's built .dll; tasks run only its static methods", Required = true };
        var processes = new Option<int>("--processes") { Description = "local processes that run tasks (default: one per core)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var prefetch = new Option<int?>("--prefetch") { Description = "tasks held beyond those running (default: four per process; lower for long tasks)" };
        var queue = new Option<string>("--queue") { Description = "queue name", DefaultValueFactory = _ => "default" };
        var visibility = new Option<double>("--visibility-timeout") { Description = "seconds before a task whose worker vanished runs elsewhere", DefaultValueFactory = _ => 30 };
        var deliveries = new Option<int>("--max-deliveries") { Description = "deliveries before a task goes to the dead-letter stream", DefaultValueFactory = _ => 3 };
        var status = new Option<double>("--status-interval") { Description = "seconds between status lines", DefaultValueFactory = _ => 5 };
        var command = new Command("worker", "Run the tasks of a Redis-backed pool (RedisPool) in local processes until SIGTERM, which drains.")
        {
            redis, app, processes, prefetch, queue, visibility, deliveries, status,
        };
        command.SetAction(p => Run(new RedisWorkerOptions
        {
            RedisUrl = p.GetValue(redis)!,
            AppPath = p.GetValue(app)!,
            Processes = p.GetValue(processes),
            Prefetch = p.GetValue(prefetch),
            Queue = p.GetValue(queue)!,
            VisibilityTimeout = TimeSpan.FromSeconds(p.GetValue(visibility)),
            MaxDeliveries = p.GetValue(deliveries),
            StatusInterval = TimeSpan.FromSeconds(p.GetValue(status)),
            Log = Console.Out,
        }));
        return command;
    }

    private static int Run(RedisWorkerOptions options)
    {
        using var drain = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // drain instead of dying with tasks half done
            drain.Cancel();
        }
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        try
        {
            RedisWorker.RunAsync(options, drain.Token).GetAwaiter().GetResult();
            return 0;
        }
        catch (Exception e) when (e is RedisPoolConnectionException or ArgumentException or FileNotFoundException or BadImageFormatException)
        {
            Console.Error.WriteLine($"plexus worker: {e.Message}");
            return 2;
        }
    }
}
