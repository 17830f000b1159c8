using StackExchange.Redis;

namespace Plexus.Redis;

/// <summary>One task-stream entry as a worker reads it: who asked, which target, which calls.</summary>
internal sealed record RedisTaskEntry(RedisValue EntryId, string TaskId, string ClientId, string Hint, string Name, byte[] Calls)
{
    /// <summary>Reads <paramref name="entry"/>; <c>null</c> when it lacks a field (written by something other than a <see cref="RedisPool"/>).</summary>
    public static RedisTaskEntry? From(StreamEntry entry)
    {
        if (entry.IsNull)
        {
            return null;
        }
        RedisValue id = entry["id"], client = entry["client"], target = entry["target"], name = entry["name"], calls = entry["calls"];
        return id.IsNull || client.IsNull || target.IsNull || calls.IsNull
            ? null
            : new RedisTaskEntry(entry.Id, id!, client!, target!, name.IsNull ? (string)target! : (string)name!, (byte[])calls!);
    }
}
