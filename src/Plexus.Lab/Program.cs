using System.CommandLine;
using System.Reflection;
using Plexus.Lab;
using Plexus.Lab.Models;

// `plexus --version` answers before anything else loads: building the command tree (System.CommandLine, every
// option, the models' table) is most of a cold start, and a version check should cost only the runtime's start.
if (args is ["--version"])
{
    Console.WriteLine(typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);
    return 0;
}

var root = new RootCommand("plexus: the C10K lab. Serve echo connections with one I/O model, load a server, or compare all models.");

var model = new Option<string>("--model") { Description = $"I/O model: {string.Join(", ", ServerModel.All.Keys)}", Required = true };
var host = new Option<string>("--host") { Description = "IPv4 or IPv6 address (e.g. ::1)", DefaultValueFactory = _ => "127.0.0.1" };
var port = new Option<int>("--port") { Description = "TCP port", DefaultValueFactory = _ => 9999 };
var workers = new Option<int>("--workers") { Description = "prefork, io-uring: worker processes (prefork default: one per core; io-uring: 1)" };
var maxProcesses = new Option<int>("--max-processes") { Description = "processes: most children at once; more connections wait", DefaultValueFactory = _ => 64 };
var serve = new Command("serve", "Run an echo server with one I/O model until SIGINT/SIGTERM.") { model, host, port, workers, maxProcesses };
serve.SetAction(p => ServeCommand.Run(p.GetValue(model)!, p.GetValue(host)!, p.GetValue(port), p.GetValue(workers), p.GetValue(maxProcesses)));

var loadHost = new Option<string>("--host") { Description = "server IPv4 or IPv6 address (e.g. ::1)", DefaultValueFactory = _ => "127.0.0.1" };
var loadPort = new Option<int>("--port") { Description = "server port", DefaultValueFactory = _ => 9999 };
var connections = new Option<int>("--connections") { Description = "concurrent connections", Required = true };
var size = new Option<int>("--size") { Description = "message size in bytes (pingpong)", DefaultValueFactory = _ => 32 };
var duration = new Option<string?>("--duration") { Description = "measured window, e.g. 10s (default 10s)" };
var messages = new Option<int?>("--messages") { Description = "round trips per connection instead of a duration" };
var pattern = new Option<string>("--pattern") { Description = "pingpong (size-byte messages) or seed (the seed's three messages)", DefaultValueFactory = _ => "pingpong" };
var threads = new Option<int>("--threads") { Description = "load threads, each with its own epoll set", DefaultValueFactory = _ => 1 };
var json = new Option<string?>("--json") { Description = "also write the result as JSON to this file" };
var timeout = new Option<string>("--timeout") { Description = "how long a connect or a reply may take before it counts as a timeout", DefaultValueFactory = _ => "10s" };
var loadProcesses = new Option<int>("--processes") { Description = "load processes to spread the connections over (one may hold at most its descriptor limit)", DefaultValueFactory = _ => 1 };
var sources = new Option<int>("--sources") { Description = "bind connections to source addresses 127.0.0.1..127.0.0.N in turn (each adds ~28,000 ephemeral ports); 0: the kernel picks" };
var resultFile = new Option<string?>(LoadCommand.ResultFileOption) { Hidden = true };
var load = new Command("load", "Open N connections to an echo server and run closed-loop ping-pong, checking every byte.")
{
    loadHost, loadPort, connections, size, duration, messages, pattern, threads, json, timeout, loadProcesses, sources, resultFile,
};
load.SetAction(p => LoadCommand.Run(
    p.GetValue(loadHost)!, p.GetValue(loadPort), p.GetValue(connections), p.GetValue(size), p.GetValue(duration),
    p.GetValue(messages), p.GetValue(pattern)!, p.GetValue(threads), p.GetValue(json), p.GetValue(timeout)!,
    p.GetValue(loadProcesses), p.GetValue(sources), p.GetValue(resultFile)));

var models = new Option<string[]>("--models") { Description = "models to compare (default: all)", AllowMultipleArgumentsPerToken = true };
var levels = new Option<string>("--connections") { Description = "connection levels, comma-separated", DefaultValueFactory = _ => BenchCommand.DefaultLevels };
var benchDuration = new Option<string>("--duration") { Description = "measured window per cell", DefaultValueFactory = _ => "3s" };
var output = new Option<string>("--out") { Description = "output directory", DefaultValueFactory = _ => "lab-results" };
var loadShare = new Option<int>("--load-share")
{
    Description = "connections per load process and per prefork/io-uring worker; a level above it is loaded by several processes",
    DefaultValueFactory = _ => BenchCommand.DefaultLoadShare,
};
var bench = new Command("bench", "Run every model as its own server process, load it, and write results.json, results.md and chart.png.")
{
    models, levels, benchDuration, output, loadShare,
};
bench.SetAction(p => BenchCommand.Run(p.GetValue(models), p.GetValue(levels)!, p.GetValue(benchDuration)!, p.GetValue(output)!, p.GetValue(loadShare)));

root.Subcommands.Add(serve);
root.Subcommands.Add(load);
root.Subcommands.Add(bench);
root.Subcommands.Add(WorkerCommand.Create());
root.Subcommands.Add(PoolCommand.Create());
root.Subcommands.Add(ManagerCommand.Create());
return CommandLine.Invoke(root, args);
