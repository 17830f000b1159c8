using System.Collections.Concurrent;
using System.Reflection;
using Plexus.Processes;
using StackExchange.Redis;

namespace Plexus.Redis;

/// <summary>
/// A process pool whose workers run on any host that reaches a Redis server: the same surface as
/// <see cref="ProcessPool"/> (<see cref="IProcessPool"/>), with tasks travelling on a Redis stream
/// to <see cref="RedisWorker"/> processes and results coming back on a list of this client's own.
/// </summary>
/// <remarks>
/// <para>A task (or one map chunk) is one stream entry: the target's assembly, module version id
/// and metadata token (as <see cref="ProcessPool"/> names it), and the arguments serialized by
/// their parameter types with Plexus's MessagePack serializer, no type names. Workers read entries
/// through a consumer group and push each reply to this client's list, then publish on this
/// client's channel: the pool wakes on that message and pops the list (no blocking pop on the
/// shared connection, no busy polling; while calls wait, one pop a second also runs as a safety
/// net for a wake-up lost in a reconnect).</para>
/// <para>Delivery is at least once: a task whose worker disappears runs again elsewhere after the
/// workers' visibility timeout, but the reply reaches the caller once (a reply is pushed only by
/// the acknowledgement that removed the task). A task that throws is not retried; it fails with
/// <see cref="ChildProcessException"/>. A task whose worker process dies on every delivery goes to
/// the dead-letter stream and fails with <see cref="RedisTaskDeadLetteredException"/>.</para>
/// </remarks>
public sealed partial class RedisPool : IProcessPool
{
    private readonly ConnectionMultiplexer _connection;
    private readonly IDatabase _db;
    private readonly RedisKeys _keys;
    private readonly RedisUrl _url;
    private readonly RedisPoolOptions _options;
    private readonly string _clientId;
    private readonly RedisChannel _tasksWake;
    private readonly RedisChannel _repliesWake;
    private readonly ConcurrentDictionary<string, RedisPendingTask> _pending = new();
    private readonly ConcurrentDictionary<MethodInfo, PoolTarget> _targets = new();
    private readonly Timer _monitor;
    private long _sequence;
    private int _drainRequests;
    private long _disconnectedSince;
    private volatile bool _closed;
    private volatile bool _disposed;

    private RedisPool(ConnectionMultiplexer connection, RedisUrl url, RedisPoolOptions options, string clientId)
    {
        _connection = connection;
        _db = connection.GetDatabase();
        _url = url;
        _options = options;
        _keys = new RedisKeys(options.Queue);
        _clientId = clientId;
        _tasksWake = RedisChannel.Literal(_keys.TasksWake);
        _repliesWake = RedisChannel.Literal(_keys.RepliesWake(clientId));
        _monitor = new Timer(_ => Monitor(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>The queue this pool submits to.</summary>
    public string Queue => _keys.Queue;

    /// <summary>This client's id: task ids are <c>{ClientId}:{sequence}</c>.</summary>
    public string ClientId => _clientId;

    /// <summary>Calls waiting for their results.</summary>
    public int InFlight => _pending.Count;

    /// <summary>Connects to the Redis server at <paramref name="url"/> (see <see cref="ConnectAsync"/>).</summary>
    public static RedisPool Connect(string url, RedisPoolOptions? options = null) => ConnectAsync(url, options).GetAwaiter().GetResult();

    /// <summary>
    /// Connects to the Redis server at <paramref name="url"/>: <c>redis://[user]:password@host:port[/db]</c>,
    /// <c>rediss://</c> for TLS, <c>?auth=none</c> to allow a server without a password.
    /// </summary>
    /// <exception cref="ArgumentException">The URL is malformed or has no password (and does not say <c>?auth=none</c>).</exception>
    /// <exception cref="RedisPoolConnectionException">The server cannot be reached or refused the credentials.</exception>
    public static async Task<RedisPool> ConnectAsync(string url, RedisPoolOptions? options = null)
    {
        options ??= new RedisPoolOptions();
        RedisUrl parsed = RedisUrl.Parse(url);
        string clientId = RedisStreams.NewId();
        ConnectionMultiplexer connection = await RedisConnector.ConnectAsync(parsed, "plexus-client-" + clientId).ConfigureAwait(false);
        try
        {
            var pool = new RedisPool(connection, parsed, options, clientId);
            await RedisStreams.EnsureGroupAsync(pool._db, pool._keys.Tasks, RedisKeys.Group).ConfigureAwait(false);
            await connection.GetSubscriber().SubscribeAsync(pool._repliesWake, (_, _) => pool.RequestDrain()).ConfigureAwait(false);
            connection.ConnectionRestored += (_, _) => pool.RequestDrain();
            return pool;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Refuses new tasks; tasks already queued still run and answer (Python's <c>close</c>).</summary>
    public void Close() => _closed = true;

    /// <summary>Fails the calls still waiting with <see cref="ObjectDisposedException"/> and closes the connection; queued tasks stay in Redis and still run.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _closed = true;
        await _monitor.DisposeAsync().ConfigureAwait(false);
        FailAll(new ObjectDisposedException(nameof(RedisPool), $"the pool on {_url.Display} was disposed before this task's result arrived"));
        try
        {
            if (_connection.IsConnected)
            {
                await _db.KeyDeleteAsync(_keys.Replies(_clientId)).ConfigureAwait(false);
            }
        }
        catch (RedisException)
        {
            // The server is gone; the list holds nothing anyone will read.
        }
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private void ThrowIfClosed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_closed)
        {
            throw new InvalidOperationException($"the pool on {_url.Display} is closed; it takes no new tasks");
        }
    }

    private PoolTarget ToPoolTarget(Delegate func) => _targets.GetOrAdd(func.Method, static (_, f) => PoolTarget.From(f), func);

    private void FailAll(Exception error)
    {
        foreach (string id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out RedisPendingTask? task))
            {
                task.Fail(error);
            }
        }
    }

    /// <summary>Once a second: a safety-net drain while calls wait, and the connection-loss deadline.</summary>
    private void Monitor()
    {
        if (_connection.IsConnected)
        {
            Interlocked.Exchange(ref _disconnectedSince, 0);
            if (!_pending.IsEmpty)
            {
                RequestDrain();
            }
            return;
        }
        long now = Environment.TickCount64;
        long since = Interlocked.CompareExchange(ref _disconnectedSince, now, 0);
        if (since != 0 && now - since > _options.ConnectionLossTimeout.TotalMilliseconds && !_pending.IsEmpty)
        {
            int count = _pending.Count;
            FailAll(new RedisPoolConnectionException(
                $"lost the connection to redis at {_url.Display} {(now - since) / 1000} s ago and it has not come back; {count} calls in flight failed (their tasks may still run on workers). Check the server, then submit again"));
        }
    }
}
