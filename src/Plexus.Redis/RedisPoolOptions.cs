namespace Plexus.Redis;

/// <summary>How a <see cref="RedisPool"/> connects and submits.</summary>
public sealed class RedisPoolOptions
{
    /// <summary>The queue (one stream and its consumer group); workers started with the same name run this pool's tasks. Default <c>default</c>.</summary>
    public string Queue { get; set; } = "default";

    /// <summary>
    /// How long the pool waits for a lost connection to come back before failing every call in
    /// flight with <see cref="RedisPoolConnectionException"/>. Default 30 s.
    /// </summary>
    public TimeSpan ConnectionLossTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Items per stream entry when a map call gives no chunk size: at most this many. Default 1,024.</summary>
    public int MaxDefaultChunkSize { get; set; } = 1024;
}
