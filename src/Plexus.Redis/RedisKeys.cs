namespace Plexus.Redis;

/// <summary>
/// The Redis names of one queue (one pool): everything lives under <c>plexus:{queue}:</c>, the
/// braces keeping a queue's keys in one cluster slot so its scripts may touch them together.
/// </summary>
internal sealed class RedisKeys(string queue)
{
    public const string Group = "workers";

    private readonly string _prefix = $"plexus:{{{queue}}}:";

    public string Queue { get; } = queue;

    /// <summary>The task stream; each entry is one task or one map chunk.</summary>
    public string Tasks => _prefix + "tasks";

    /// <summary>Tasks that exhausted their deliveries, with the reason.</summary>
    public string DeadLetters => _prefix + "dead";

    /// <summary>Hash: entry id → why its last delivery did not finish.</summary>
    public string Reasons => _prefix + "reasons";

    /// <summary>Hash: worker name → its last heartbeat and counters.</summary>
    public string Workers => _prefix + "workers";

    /// <summary>Channel on which submitters wake sleeping workers.</summary>
    public string TasksWake => _prefix + "tasks-wake";

    /// <summary>The list where workers push one client's results.</summary>
    public string Replies(string clientId) => _prefix + "replies:" + clientId;

    /// <summary>The channel on which workers wake one client after pushing a result.</summary>
    public string RepliesWake(string clientId) => _prefix + "replies-wake:" + clientId;
}
