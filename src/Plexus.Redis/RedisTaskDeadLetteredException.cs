namespace Plexus.Redis;

/// <summary>
/// A task was delivered to workers <see cref="Deliveries"/> times without finishing (each time its
/// worker process died or stopped answering), so it went to the dead-letter stream instead of
/// running again.
/// </summary>
public sealed class RedisTaskDeadLetteredException : Exception
{
    /// <summary>Creates the exception for <paramref name="taskId"/>.</summary>
    public RedisTaskDeadLetteredException(string taskId, string target, int deliveries, string reason)
        : base($"task {taskId} ({target}) was delivered {deliveries} times and never finished, so it went to the dead-letter stream; last reason: {reason}. Fix the task (it keeps killing its worker process) and submit it again")
    {
        TaskId = taskId;
        Target = target;
        Deliveries = deliveries;
        Reason = reason;
    }

    /// <summary>The task's id (<c>client:sequence</c>).</summary>
    public string TaskId { get; }

    /// <summary>The target method, as <c>Type.Method</c>.</summary>
    public string Target { get; }

    /// <summary>How many times the task was handed to a worker.</summary>
    public int Deliveries { get; }

    /// <summary>Why the last delivery did not finish (e.g. the worker process's exit).</summary>
    public string Reason { get; }
}
