using StackExchange.Redis;

namespace Plexus.Redis;

/// <summary>
/// Shared state on a Redis server, for processes on many hosts: dictionaries on hashes, lists on
/// lists, joinable queues on streams, and leased locks (the counterparts of
/// <c>ProcessManager</c>'s objects). Every object is named, so any process that connects to the same
/// server and asks for the same name gets the same object.
/// </summary>
/// <remarks>
/// Values travel with Plexus's MessagePack serializer by their declared type (no type names).
/// Each single operation is atomic on the server; a sequence of operations is not (read-modify-write
/// needs a <see cref="RedisLock"/>). Durability is the server's: with <c>appendonly yes</c> and
/// <c>appendfsync always</c> an acknowledged write survives a restart.
/// </remarks>
public sealed class RedisManager : IDisposable, IAsyncDisposable
{
    private readonly ConnectionMultiplexer _connection;

    private RedisManager(ConnectionMultiplexer connection, string clientId)
    {
        _connection = connection;
        ClientId = clientId;
    }

    /// <summary>This client's id (its queue consumer name).</summary>
    public string ClientId { get; }

    /// <summary>Connects to the Redis server at <paramref name="url"/> (the URL rules of <see cref="RedisPool.ConnectAsync"/>).</summary>
    public static async Task<RedisManager> ConnectAsync(string url)
    {
        RedisUrl parsed = RedisUrl.Parse(url);
        string id = RedisStreams.NewId();
        return new RedisManager(await RedisConnector.ConnectAsync(parsed, "plexus-manager-" + id).ConfigureAwait(false), id);
    }

    /// <summary>Connects to the Redis server at <paramref name="url"/>.</summary>
    public static RedisManager Connect(string url) => ConnectAsync(url).GetAwaiter().GetResult();

    /// <summary>The dictionary named <paramref name="name"/> (a hash at <c>plexus:dict:{name}</c>).</summary>
    public RedisDictionary<TKey, TValue> GetDictionary<TKey, TValue>(string name) where TKey : notnull
        => new(_connection.GetDatabase(), "plexus:dict:" + Checked(name));

    /// <summary>The list named <paramref name="name"/> (a list at <c>plexus:list:{name}</c>).</summary>
    public RedisList<T> GetList<T>(string name) => new(_connection.GetDatabase(), "plexus:list:" + Checked(name));

    /// <summary>
    /// The joinable queue named <paramref name="name"/> (a stream at <c>plexus:queue:{name}</c>
    /// with one consumer group). An item a getter took and never marked done is delivered again
    /// after <paramref name="visibilityTimeout"/> (default 5 minutes).
    /// </summary>
    public RedisQueue<T> GetQueue<T>(string name, TimeSpan? visibilityTimeout = null)
        => new(_connection, "plexus:queue:" + Checked(name), ClientId, visibilityTimeout ?? TimeSpan.FromMinutes(5));

    /// <summary>The lock named <paramref name="name"/>; a holder's lease lasts <paramref name="leaseTime"/> (default 10 s) and is renewed while held.</summary>
    public RedisLock GetLock(string name, TimeSpan? leaseTime = null)
        => new(_connection, "plexus:lock:" + Checked(name), leaseTime ?? TimeSpan.FromSeconds(10));

    /// <summary>Closes the connection (leases still held expire at their lease time).</summary>
    public void Dispose() => _connection.Dispose();

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private static string Checked(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return name;
    }
}
