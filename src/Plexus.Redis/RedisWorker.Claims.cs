using System.Globalization;
using StackExchange.Redis;

namespace Plexus.Redis;

public sealed partial class RedisWorker
{
    /// <summary>How often a worker refreshes its heartbeat and its running entries.</summary>
    internal static readonly TimeSpan s_heartbeatInterval = TimeSpan.FromSeconds(1);

    /// <summary>Every second: the heartbeat (read by <c>RedisPool.GetStatusAsync</c>) and the idle-time reset of every running entry.</summary>
    private async Task HeartbeatLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            string beat = RedisWorkerStatus.FormatHeartbeat(DateTimeOffset.UtcNow, Interlocked.Read(ref _done), Interlocked.Read(ref _failed), _running.Count, _options.Processes);
            await TryAsync(() => _db.HashSetAsync(_keys.Workers, Name, beat)).ConfigureAwait(false);
            RedisValue[] ids = _running.Keys.ToArray();
            if (ids.Length > 0)
            {
                await TryAsync(() => _db.StreamClaimIdsOnlyAsync(_keys.Tasks, RedisKeys.Group, Name, 0, ids)).ConfigureAwait(false);
            }
            if (!await Pause(s_heartbeatInterval, stop).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private async Task StatusLoopAsync(CancellationToken stop)
    {
        while (await Pause(_options.StatusInterval, stop).ConfigureAwait(false))
        {
            Log($"worker {Name}: {StatusLine()}");
        }
    }

    /// <summary>
    /// Claims entries idle longer than the visibility timeout (their worker or process died) and
    /// runs them again, or dead-letters those delivered more than <see cref="RedisWorkerOptions.MaxDeliveries"/> times.
    /// </summary>
    private async Task ReclaimLoopAsync(CancellationToken cancellationToken)
    {
        long visibility = (long)_options.VisibilityTimeout.TotalMilliseconds;
        TimeSpan interval = TimeSpan.FromMilliseconds(Math.Clamp(visibility / 2, 100, 5000));
        while (await Pause(interval, cancellationToken).ConfigureAwait(false))
        {
            int free = _capacity - _running.Count;
            if (free <= 0)
            {
                continue;
            }
            try
            {
                StreamAutoClaimResult claimed = await _db.StreamAutoClaimAsync(_keys.Tasks, RedisKeys.Group, Name, visibility, "0-0", free).ConfigureAwait(false);
                foreach (StreamEntry entry in claimed.ClaimedEntries)
                {
                    StreamPendingMessageInfo[] info = await _db.StreamPendingMessagesAsync(_keys.Tasks, RedisKeys.Group, 1, Name, entry.Id, entry.Id).ConfigureAwait(false);
                    int deliveries = info.Length > 0 ? info[0].DeliveryCount : 1;
                    if (deliveries > _options.MaxDeliveries && RedisTaskEntry.From(entry) is { } task)
                    {
                        await DeadLetterAsync(task, deliveries - 1).ConfigureAwait(false);
                    }
                    else
                    {
                        Start(entry);
                    }
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // Redis is down: the next round tries again.
            }
        }
    }

    /// <summary>Moves <paramref name="task"/> to the dead-letter stream and fails its client's call; <paramref name="runs"/> deliveries ran without finishing.</summary>
    private async Task DeadLetterAsync(RedisTaskEntry task, int runs)
    {
        RedisValue recorded = await _db.HashGetAsync(_keys.Reasons, task.EntryId).ConfigureAwait(false);
        string reason = recorded.IsNullOrEmpty
            ? $"its worker stopped refreshing it for {_options.VisibilityTimeout.TotalSeconds:0.#} s (the worker host died or lost Redis)"
            : recorded.ToString();
        byte[] reply = RedisReply.DeadLettered(task.TaskId, runs, reason);
        await EndAsync(task, reply, RedisScripts.DeadLetter,
            [task.TaskId, task.Name, runs.ToString(CultureInfo.InvariantCulture), reason, Name]).ConfigureAwait(false);
        Interlocked.Increment(ref _deadLettered);
        Log($"worker {Name}: task {task.TaskId} ({task.Name}) went to the dead-letter stream after {runs} deliveries: {reason}");
    }

    /// <summary>Waits <paramref name="delay"/>; <c>false</c> when <paramref name="token"/> ended the wait.</summary>
    private static async Task<bool> Pause(TimeSpan delay, CancellationToken token)
    {
        try
        {
            await Task.Delay(delay, token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
