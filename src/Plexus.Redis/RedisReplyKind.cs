namespace Plexus.Redis;

/// <summary>How a task ended, as a worker reports it.</summary>
internal enum RedisReplyKind
{
    /// <summary>The task returned; the reply carries its results.</summary>
    Ok = 0,

    /// <summary>The task threw; it is not retried.</summary>
    Threw = 1,

    /// <summary>The task used up its deliveries and went to the dead-letter stream.</summary>
    DeadLettered = 2,
}
