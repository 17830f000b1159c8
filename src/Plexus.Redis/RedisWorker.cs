using System.Collections.Concurrent;
using Plexus.Processes;
using StackExchange.Redis;

namespace Plexus.Redis;

/// <summary>
/// A worker host: reads a queue's tasks from Redis and runs them in local child processes (a
/// <see cref="ProcessPool"/>), so a task that crashes its process costs only that task.
/// </summary>
/// <remarks>
/// <para>The worker reads entries through the queue's consumer group, holding at most
/// <see cref="RedisWorkerOptions.Processes"/> + prefetch at a time. It sleeps between reads until a
/// submitter publishes a wake-up (or for one second at most), so an idle worker costs one small
/// read a second. Every second it refreshes the entries it is running (<c>XCLAIM … JUSTID</c>, which
/// resets their idle time) and its heartbeat; an entry that stops being refreshed — its worker died,
/// or the process running it died — is claimed by any worker after the visibility timeout
/// (<c>XAUTOCLAIM</c>) and runs again, until its delivery count passes
/// <see cref="RedisWorkerOptions.MaxDeliveries"/> and it goes to the dead-letter stream.</para>
/// <para>Cancelling the token passed to <see cref="RunAsync"/> drains the worker: it reads no new
/// entries, lets the ones it holds finish and report, then returns.</para>
/// </remarks>
public sealed partial class RedisWorker
{
    private static readonly Func<string, byte[], byte[]> s_runEntry = RedisTaskRunner.Run;

    private readonly RedisWorkerOptions _options;
    private readonly RedisKeys _keys;
    private readonly IDatabase _db;
    private readonly ProcessPool _pool;
    private readonly int _capacity;
    private readonly ConcurrentDictionary<RedisValue, Task> _running = new();
    private readonly RedisWakeup _wakeup = new();
    private long _done;
    private long _failed;
    private long _released;
    private long _deadLettered;

    private RedisWorker(RedisWorkerOptions options, IDatabase db, ProcessPool pool, string name)
    {
        _options = options;
        _keys = new RedisKeys(options.Queue);
        _db = db;
        _pool = pool;
        Name = name;
        _capacity = options.Processes + (options.Prefetch ?? 4 * options.Processes);
    }

    /// <summary>This worker's consumer name in the group: <c>host-pid-random</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// Connects, starts <see cref="RedisWorkerOptions.Processes"/> local processes that load the app,
    /// and serves the queue until <paramref name="cancellationToken"/> is cancelled; then drains
    /// (no new tasks, held ones finish) and returns.
    /// </summary>
    /// <exception cref="FileNotFoundException">The app does not exist.</exception>
    /// <exception cref="RedisPoolConnectionException">Redis cannot be reached or refused the credentials.</exception>
    public static async Task RunAsync(RedisWorkerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Processes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxDeliveries, 1);
        string app = Path.GetFullPath(options.AppPath);
        if (!File.Exists(app))
        {
            throw new FileNotFoundException($"the worker's app {app} does not exist; pass the path of the app's built .dll (--app bin/Release/net10.0/MyApp.dll)", app);
        }
        System.Reflection.AssemblyName.GetAssemblyName(app); // a clear BadImageFormatException now, not in every child
        RedisUrl url = RedisUrl.Parse(options.RedisUrl);
        string name = $"{Environment.MachineName}-{Environment.ProcessId}-{RedisStreams.NewId()[..6]}";
        await using ConnectionMultiplexer connection = await RedisConnector.ConnectAsync(url, "plexus-worker-" + name).ConfigureAwait(false);
        await using var pool = new ProcessPool(options.Processes, (Action<string>)RedisTaskRunner.LoadApp, [app]);
        var worker = new RedisWorker(options, connection.GetDatabase(), pool, name);
        ISubscriber subscriber = connection.GetSubscriber();
        var wakeChannel = RedisChannel.Literal(worker._keys.TasksWake);
        await subscriber.SubscribeAsync(wakeChannel, (_, _) => worker.Wake()).ConfigureAwait(false);
        await worker.ServeAsync(url, app, cancellationToken).ConfigureAwait(false);
        await subscriber.UnsubscribeAsync(wakeChannel).ConfigureAwait(false);
    }

    private async Task ServeAsync(RedisUrl url, string app, CancellationToken cancellationToken)
    {
        await RedisStreams.EnsureGroupAsync(_db, _keys.Tasks, RedisKeys.Group).ConfigureAwait(false);
        using var stopBackground = new CancellationTokenSource();
        Task heartbeat = HeartbeatLoopAsync(stopBackground.Token);
        Task status = StatusLoopAsync(stopBackground.Token);
        Task reclaim = ReclaimLoopAsync(cancellationToken);
        Log($"worker {Name} ready: queue '{_keys.Queue}' on {url.Display}, {_options.Processes} processes, app {app}");
        await ReadLoopAsync(cancellationToken).ConfigureAwait(false);
        Log($"worker {Name} draining: {_running.Count} tasks in flight finish, no new ones are read");
        await reclaim.ConfigureAwait(false);
        while (!_running.IsEmpty)
        {
            await Task.WhenAll(_running.Values.ToArray()).ConfigureAwait(false);
        }
        await stopBackground.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(heartbeat, status).ConfigureAwait(false);
        await TryAsync(() => _db.HashDeleteAsync(_keys.Workers, Name)).ConfigureAwait(false);
        Log($"worker {Name} drained: {StatusLine()}");
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            int free = _capacity - _running.Count;
            if (free > 0)
            {
                StreamEntry[] entries;
                try
                {
                    entries = await _db.StreamReadGroupAsync(_keys.Tasks, RedisKeys.Group, Name, ">", free).ConfigureAwait(false);
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    entries = []; // Redis is down or restarting: wait below and try again.
                }
                foreach (StreamEntry entry in entries)
                {
                    Start(entry);
                }
                if (entries.Length > 0)
                {
                    continue;
                }
            }
            // A second without a wake-up: read anyway, in case one was lost in a reconnect.
            if (!await _wakeup.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private void Wake() => _wakeup.Set();

    private void Start(StreamEntry raw)
    {
        RedisTaskEntry? entry = RedisTaskEntry.From(raw);
        if (entry is null)
        {
            Log($"worker {Name}: entry {raw.Id} is not a Plexus task (or was deleted); acknowledging it without running");
            _ = TryAsync(() => _db.StreamAcknowledgeAsync(_keys.Tasks, RedisKeys.Group, raw.Id));
            return;
        }
        var started = new TaskCompletionSource();
        if (!_running.TryAdd(entry.EntryId, started.Task))
        {
            return; // this worker claimed back an entry it is still running (a refresh came late): one run is enough
        }
        _ = RunTaskAsync(entry).ContinueWith(_ =>
        {
            _running.TryRemove(entry.EntryId, out Task? _);
            started.TrySetResult();
            Wake();
        }, TaskScheduler.Default);
    }

    private async Task RunTaskAsync(RedisTaskEntry entry)
    {
        try
        {
            byte[] results = await _pool.SubmitAsync(s_runEntry, entry.Hint, entry.Calls).ConfigureAwait(false);
            await EndAsync(entry, RedisReply.Ok(entry.TaskId, results)).ConfigureAwait(false);
            Interlocked.Increment(ref _done);
        }
        catch (ChildProcessException e)
        {
            await EndAsync(entry, RedisReply.Threw(entry.TaskId, e.RemoteType, e.RemoteMessage, e.RemoteStackTrace, e.Pid, $"{Name}/{e.ProcessName}")).ConfigureAwait(false);
            Interlocked.Increment(ref _failed);
        }
        catch (ProcessPoolWorkerDiedException e)
        {
            // Not acknowledged and no longer refreshed: after the visibility timeout a worker claims it again.
            Interlocked.Increment(ref _released);
            Log($"worker {Name}: task {entry.TaskId} ({entry.Name}) lost its process ({e.Message}); it runs again after the visibility timeout");
            await TryAsync(() => _db.HashSetAsync(_keys.Reasons, entry.EntryId, $"the process running it died on worker {Name}: {e.Message}")).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidOperationException)
        {
            await EndAsync(entry, RedisReply.Threw(entry.TaskId, e.GetType().FullName!, e.Message, e.ToString(), Environment.ProcessId, Name)).ConfigureAwait(false);
            Interlocked.Increment(ref _failed);
        }
    }

    /// <summary>
    /// Acknowledges <paramref name="entry"/> and pushes <paramref name="reply"/> in one script,
    /// retrying through a connection loss for up to the visibility timeout (after that the entry
    /// runs again elsewhere, which is the at-least-once promise).
    /// </summary>
    private async Task EndAsync(RedisTaskEntry entry, byte[] reply, string script = RedisScripts.Complete, RedisValue[]? extra = null)
    {
        RedisKey[] keys = [_keys.Tasks, _keys.Replies(entry.ClientId), _keys.Reasons, _keys.DeadLetters];
        RedisValue[] values = [RedisKeys.Group, entry.EntryId, reply, _keys.RepliesWake(entry.ClientId), .. extra ?? []];
        long deadline = Environment.TickCount64 + (long)_options.VisibilityTimeout.TotalMilliseconds;
        while (true)
        {
            try
            {
                await _db.ScriptEvaluateAsync(script, keys, values).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or TimeoutException)
            {
                if (Environment.TickCount64 > deadline)
                {
                    Log($"worker {Name}: could not report task {entry.TaskId} to redis ({e.Message}); it runs again after the visibility timeout");
                    return;
                }
                await Task.Delay(250).ConfigureAwait(false);
            }
        }
    }

    private string StatusLine() => $"done {Interlocked.Read(ref _done)}, failed {Interlocked.Read(ref _failed)}, in flight {_running.Count}, released {Interlocked.Read(ref _released)}, dead-lettered {Interlocked.Read(ref _deadLettered)}";

    private void Log(string line)
    {
        TextWriter? log = _options.Log;
        if (log is not null)
        {
            lock (log)
            {
                log.WriteLine(line);
                log.Flush();
            }
        }
    }

    private static async Task TryAsync(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Best effort: the heartbeat and claims repair what this call could not do.
        }
    }
}
