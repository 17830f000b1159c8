namespace Plexus.Redis;

/// <summary>What a <see cref="RedisWorker"/> serves and how.</summary>
public sealed class RedisWorkerOptions
{
    /// <summary>The Redis URL (see <see cref="RedisPool.ConnectAsync"/>).</summary>
    public required string RedisUrl { get; set; }

    /// <summary>The user's app (a .dll built from the same source as the clients'); tasks run only its static methods.</summary>
    public required string AppPath { get; set; }

    /// <summary>Local processes that run tasks (a local <c>ProcessPool</c>); default one per core.</summary>
    public int Processes { get; set; } = Environment.ProcessorCount;

    /// <summary>The queue to serve; default <c>default</c>.</summary>
    public string Queue { get; set; } = "default";

    /// <summary>
    /// Entries this worker holds beyond those running, so its processes never wait for Redis.
    /// Default: four per process (small tasks need it for throughput; for long tasks set it low,
    /// or a busy worker holds tasks an idle one could run).
    /// </summary>
    public int? Prefetch { get; set; }

    /// <summary>
    /// How long an entry may sit with a worker that stopped refreshing it (the worker died, or the
    /// process running it died) before any worker claims it again. Default 30 s. Running entries
    /// are refreshed every second, so a long task is not claimed while its worker lives.
    /// </summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Deliveries after which an entry goes to the dead-letter stream instead of running again. Default 3.</summary>
    public int MaxDeliveries { get; set; } = 3;

    /// <summary>Where the worker writes its status lines; default none.</summary>
    public TextWriter? Log { get; set; }

    /// <summary>How often the status line is written; default 5 s.</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(5);
}
