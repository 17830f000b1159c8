using StackExchange.Redis;

namespace Plexus.Redis;

/// <summary>Stream helpers shared by the pool, its workers and the Redis queue.</summary>
internal static class RedisStreams
{
    /// <summary>Creates <paramref name="group"/> on <paramref name="stream"/> (and the stream) unless it exists; it reads from the start, so entries added before it are not skipped.</summary>
    public static async Task EnsureGroupAsync(IDatabase db, string stream, string group)
    {
        try
        {
            await db.StreamCreateConsumerGroupAsync(stream, group, "0", createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another client created it first: that is the state we want.
        }
    }

    /// <summary>A short random id, unique enough to name a client or worker among thousands.</summary>
    public static string NewId() => Guid.NewGuid().ToString("N")[..12];
}
