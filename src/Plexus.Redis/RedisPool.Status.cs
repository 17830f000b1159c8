using StackExchange.Redis;

namespace Plexus.Redis;

public sealed partial class RedisPool
{
    /// <summary>Reads the state of <paramref name="queue"/> on the Redis server at <paramref name="url"/>: queue length, pending per worker, live workers, dead letters.</summary>
    public static async Task<RedisPoolStatus> GetStatusAsync(string url, string queue = "default")
    {
        RedisUrl parsed = RedisUrl.Parse(url);
        await using ConnectionMultiplexer connection = await RedisConnector.ConnectAsync(parsed, "plexus-status").ConfigureAwait(false);
        return await ReadStatusAsync(connection.GetDatabase(), new RedisKeys(queue)).ConfigureAwait(false);
    }

    /// <summary>This pool's queue, read over its own connection.</summary>
    public Task<RedisPoolStatus> GetStatusAsync() => ReadStatusAsync(_db, _keys);

    private static async Task<RedisPoolStatus> ReadStatusAsync(IDatabase db, RedisKeys keys)
    {
        long length = await db.StreamLengthAsync(keys.Tasks).ConfigureAwait(false);
        long deadLetters = await db.StreamLengthAsync(keys.DeadLetters).ConfigureAwait(false);
        var pendingBy = new Dictionary<string, long>();
        long pending = 0;
        if (length > 0)
        {
            try
            {
                StreamPendingInfo info = await db.StreamPendingAsync(keys.Tasks, RedisKeys.Group).ConfigureAwait(false);
                pending = info.PendingMessageCount;
                foreach (StreamConsumer consumer in info.Consumers)
                {
                    pendingBy[consumer.Name!] = consumer.PendingMessageCount;
                }
            }
            catch (RedisServerException e) when (e.Message.Contains("NOGROUP", StringComparison.Ordinal))
            {
                // No worker or pool has created the group yet: nothing is pending.
            }
        }
        DateTimeOffset now = DateTimeOffset.UtcNow;
        var workers = new List<RedisWorkerStatus>();
        foreach (HashEntry beat in await db.HashGetAllAsync(keys.Workers).ConfigureAwait(false))
        {
            string name = beat.Name!;
            workers.Add(RedisWorkerStatus.Parse(name, beat.Value!, pendingBy.GetValueOrDefault(name), now));
            pendingBy.Remove(name);
        }
        foreach ((string name, long count) in pendingBy)
        {
            workers.Add(new RedisWorkerStatus(name, DateTimeOffset.MinValue, false, 0, 0, 0, 0, count));
        }
        // Acknowledged entries are deleted, so the stream holds exactly the queued and the pending ones.
        return new RedisPoolStatus(keys.Queue, Math.Max(0, length - pending), pending, deadLetters, workers);
    }
}
