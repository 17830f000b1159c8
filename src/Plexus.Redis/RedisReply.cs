using System.Buffers;
using MessagePack;

namespace Plexus.Redis;

/// <summary>
/// What a worker sends back for one task: its results, the exception it threw, or its dead-letter
/// notice. On the wire: a MessagePack array <c>[taskId, kind, ...]</c>, no type names.
/// </summary>
internal sealed record RedisReply(string TaskId, RedisReplyKind Kind, byte[] Results, string ErrorType, string ErrorMessage, string ErrorStack, int Number)
{
    /// <summary>For <see cref="RedisReplyKind.Threw"/>: the process that ran the task, as <c>worker/child</c>.</summary>
    public string Process { get; init; } = "";

    public static byte[] Ok(string taskId, byte[] results) => Write(taskId, RedisReplyKind.Ok, (ref MessagePackWriter w) => w.Write(results));

    /// <summary>A task that threw in process <paramref name="pid"/> (<paramref name="process"/>); <see cref="Number"/> carries the pid.</summary>
    public static byte[] Threw(string taskId, string type, string message, string stack, int pid, string process) => Write(taskId, RedisReplyKind.Threw, (ref MessagePackWriter w) =>
    {
        w.Write(type);
        w.Write(message);
        w.Write(stack);
        w.Write(pid);
        w.Write(process);
    });

    public static byte[] DeadLettered(string taskId, int deliveries, string reason) => Write(taskId, RedisReplyKind.DeadLettered, (ref MessagePackWriter w) =>
    {
        w.Write(deliveries);
        w.Write(reason);
    });

    public static RedisReply Read(ReadOnlyMemory<byte> bytes)
    {
        var reader = new MessagePackReader(bytes);
        int count = reader.ReadArrayHeader();
        string id = reader.ReadString() ?? "";
        var kind = (RedisReplyKind)reader.ReadInt32();
        return kind switch
        {
            RedisReplyKind.Ok when count == 3 => new RedisReply(id, kind, reader.ReadBytes()?.ToArray() ?? [], "", "", "", 0),
            RedisReplyKind.Threw when count == 7 => new RedisReply(id, kind, [], reader.ReadString() ?? "", reader.ReadString() ?? "", reader.ReadString() ?? "", reader.ReadInt32())
            {
                Process = reader.ReadString() ?? "",
            },
            RedisReplyKind.DeadLettered when count == 4 => new RedisReply(id, kind, [], "", "", "", reader.ReadInt32()) { ErrorMessage = reader.ReadString() ?? "" },
            _ => throw new InvalidDataException($"a reply for task {id} has kind {(int)kind} and {count} fields; workers and clients run different Plexus versions"),
        };
    }

    private delegate void Body(ref MessagePackWriter writer);

    private static byte[] Write(string taskId, RedisReplyKind kind, Body body)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(kind switch { RedisReplyKind.Ok => 3, RedisReplyKind.Threw => 7, _ => 4 });
        writer.Write(taskId);
        writer.Write((int)kind);
        body(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
