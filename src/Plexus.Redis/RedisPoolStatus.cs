namespace Plexus.Redis;

/// <summary>A queue's state: what waits, what runs where, which workers live, what died.</summary>
/// <param name="Queue">The queue's name.</param>
/// <param name="Queued">Entries no worker has read yet.</param>
/// <param name="Pending">Entries delivered to a worker and not yet acknowledged.</param>
/// <param name="DeadLetters">Entries in the dead-letter stream.</param>
/// <param name="Workers">Every worker with a heartbeat (live or not) or pending entries.</param>
public sealed record RedisPoolStatus(string Queue, long Queued, long Pending, long DeadLetters, IReadOnlyList<RedisWorkerStatus> Workers)
{
    /// <summary>Workers whose heartbeat is recent.</summary>
    public int WorkersAlive => Workers.Count(w => w.Alive);

    /// <summary>The status as a few lines of text, as <c>plexus pool status</c> prints it.</summary>
    public override string ToString()
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"queue '{Queue}': {Queued} queued, {Pending} pending, {DeadLetters} dead letters, {WorkersAlive} of {Workers.Count} workers alive");
        foreach (RedisWorkerStatus w in Workers)
        {
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture,
                $"  {w.Name}: {(w.Alive ? "alive" : "silent")} (seen {w.LastSeen:HH:mm:ss}), {w.Processes} processes, pending {w.Pending}, in flight {w.InFlight}, done {w.Done}, failed {w.Failed}");
        }
        return text.ToString().TrimEnd();
    }
}
