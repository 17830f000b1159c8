namespace Plexus.Redis;

/// <summary>
/// The Lua scripts that end a task. Each runs atomically, so a task's result is pushed exactly when
/// its acknowledgement succeeds: a task run twice (at-least-once) still answers its client once.
/// </summary>
internal static class RedisScripts
{
    /// <summary>
    /// KEYS: tasks, replies, reasons. ARGV: group, entry id, reply, replies-wake channel.
    /// Acks the entry; if this was the first ack, pushes the reply and wakes the client. Returns 1 or 0.
    /// A reply list expires a day after its last push, so a client that died leaves nothing behind for ever.
    /// </summary>
    public const string Complete = """
        local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        if acked == 1 then
          redis.call('RPUSH', KEYS[2], ARGV[3])
          redis.call('PEXPIRE', KEYS[2], 86400000)
          redis.call('PUBLISH', ARGV[4], '1')
        end
        redis.call('XDEL', KEYS[1], ARGV[2])
        redis.call('HDEL', KEYS[3], ARGV[2])
        return acked
        """;

    /// <summary>
    /// KEYS: tasks, replies, reasons, dead letters. ARGV: group, entry id, reply, replies-wake
    /// channel, task id, target, deliveries, reason, consumer. Like <see cref="Complete"/>, and
    /// also records the task in the dead-letter stream.
    /// </summary>
    public const string DeadLetter = """
        local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        if acked == 1 then
          redis.call('XADD', KEYS[4], '*', 'task', ARGV[5], 'target', ARGV[6], 'deliveries', ARGV[7], 'reason', ARGV[8], 'entry', ARGV[2], 'worker', ARGV[9])
          redis.call('RPUSH', KEYS[2], ARGV[3])
          redis.call('PEXPIRE', KEYS[2], 86400000)
          redis.call('PUBLISH', ARGV[4], '1')
        end
        redis.call('XDEL', KEYS[1], ARGV[2])
        redis.call('HDEL', KEYS[3], ARGV[2])
        return acked
        """;
}
