using StackExchange.Redis;

namespace Plexus.Redis;

/// <summary>A submitted task waiting for its reply: how to finish its promise, and where it sits in the stream.</summary>
internal sealed class RedisPendingTask(string taskId, string target, Action<RedisReply> complete, Action<Exception> fail)
{
    public string TaskId { get; } = taskId;

    public string Target { get; } = target;

    /// <summary>The stream entry, once XADD has answered; used to drop a cancelled task that no worker has read.</summary>
    public RedisValue EntryId { get; set; } = RedisValue.Null;

    public void Complete(RedisReply reply) => complete(reply);

    public void Fail(Exception error) => fail(error);
}
