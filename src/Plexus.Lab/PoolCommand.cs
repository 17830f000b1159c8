using System.CommandLine;
using Plexus.Redis;

namespace Plexus.Lab;

/// <summary><c>plexus pool status --redis URL</c>: a Redis-backed pool's queue length, pending tasks per worker, live workers and dead letters.</summary>
internal static class PoolCommand
{
    public static Command Create()
    {
        var redis = new Option<string>("--redis") { Description = "Redis URL: redis://[user]:password@host:port[/db]", Required = true };
        var queue = new Option<string>("--queue") { Description = "queue name", DefaultValueFactory = _ => "default" };
        var status = new Command("status", "Print the queue length, pending tasks per worker, workers alive (heartbeats) and the dead-letter count.") { redis, queue };
        status.SetAction(p =>
        {
            try
            {
                Console.WriteLine(RedisPool.GetStatusAsync(p.GetValue(redis)!, p.GetValue(queue)!).GetAwaiter().GetResult());
                return 0;
            }
            catch (Exception e) when (e is RedisPoolConnectionException or ArgumentException)
            {
                Console.Error.WriteLine($"plexus pool status: {e.Message}");
                return 2;
            }
        });
        return new Command("pool", "Inspect a Redis-backed pool (see `plexus worker`).") { status };
    }
}
