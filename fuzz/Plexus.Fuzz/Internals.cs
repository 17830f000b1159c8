using System.Net.Sockets;
using System.Reflection;
using System.Runtime.CompilerServices;
using MessagePack;

namespace Plexus.Fuzz;

/// <summary>
/// The internal decoders the targets drive, bound by <see cref="UnsafeAccessorAttribute"/> (checked when
/// first called: a renamed member fails the target at once with <see cref="MissingMemberException"/>). This
/// keeps src/ free of InternalsVisibleTo and of entry points that exist only for fuzzing.
/// </summary>
internal static class Internals
{
    private const string Processes = ", Plexus.Processes";
    private const string ManagerServer = "Plexus.Processes.ManagerServer" + Processes;
    private const string ManagerSession = "Plexus.Processes.ManagerSession" + Processes;
    private const string FrameReader = "Plexus.Processes.FrameReader" + Processes;
    private const string ManagerWire = "Plexus.Processes.ManagerWire" + Processes;
    private const string RequestFormatter = "Plexus.Processes.PoolRequestBatchFormatter" + Processes;
    private const string ResponseFormatter = "Plexus.Processes.PoolResponseFormatter" + Processes;
    private const string RequestBatch = "Plexus.Processes.PoolRequestBatch" + Processes;
    private const string Response = "Plexus.Processes.PoolResponse" + Processes;
    private const string LoadResultFile = "Plexus.Lab.Load.LoadResultFile, plexus";
    private const string LoadResult = "Plexus.Lab.Load.LoadResult, plexus";

    // The manager's server, one client session, and its frame reader.
    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    [return: UnsafeAccessorType(ManagerServer)]
    public static extern object NewManagerServer(byte[] authKey, string[] registrations);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Handle")]
    public static extern bool Handle([UnsafeAccessorType(ManagerServer)] object server, [UnsafeAccessorType(ManagerSession)] object session, ReadOnlyMemory<byte> frame);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Stopping")]
    public static extern bool Stopping([UnsafeAccessorType(ManagerServer)] object server);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Closed")]
    public static extern void Closed([UnsafeAccessorType(ManagerServer)] object server, [UnsafeAccessorType(ManagerSession)] object session);

    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    [return: UnsafeAccessorType(ManagerSession)]
    public static extern object NewManagerSession(Socket socket);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Flush")]
    public static extern void Flush([UnsafeAccessorType(ManagerSession)] object session);

    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    [return: UnsafeAccessorType(FrameReader)]
    private static extern object NewFrameReader([UnsafeAccessorType("Plexus.Processes.FrameReader+ReceiveInto" + Processes)] object receive);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Fill")]
    public static extern bool Fill([UnsafeAccessorType(FrameReader)] object reader);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Next")]
    public static extern ReadOnlyMemory<byte>? Next([UnsafeAccessorType(FrameReader)] object reader);

    /// <summary>A frame reader that reads with <paramref name="receiveMethod"/> of <paramref name="target"/> (<c>int (Span&lt;byte&gt;)</c>).</summary>
    public static object NewFrameReader(object target, string receiveMethod)
    {
        Type type = Type.GetType("Plexus.Processes.FrameReader+ReceiveInto" + Processes, throwOnError: true)!;
        MethodInfo method = target.GetType().GetMethod(receiveMethod, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            ?? throw new MissingMethodException(target.GetType().Name, receiveMethod);
        return NewFrameReader(Delegate.CreateDelegate(type, target, method));
    }

    // The HMAC handshake.
    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "DeliverChallenge")]
    public static extern bool DeliverChallenge([UnsafeAccessorType(ManagerWire)] object? wire, Socket socket, byte[] authKey);

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "AnswerChallenge")]
    public static extern void AnswerChallenge([UnsafeAccessorType(ManagerWire)] object? wire, Socket socket, byte[] authKey, string address);

    // The pool's frames.
    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    [return: UnsafeAccessorType(RequestFormatter)]
    public static extern object NewRequestFormatter();

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Deserialize")]
    [return: UnsafeAccessorType(RequestBatch)]
    public static extern object ReadRequests([UnsafeAccessorType(RequestFormatter)] object formatter, ref MessagePackReader reader, MessagePackSerializerOptions options);

    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    [return: UnsafeAccessorType(ResponseFormatter)]
    public static extern object NewResponseFormatter();

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Deserialize")]
    [return: UnsafeAccessorType(Response)]
    public static extern object ReadResponse([UnsafeAccessorType(ResponseFormatter)] object formatter, ref MessagePackReader reader, MessagePackSerializerOptions options);

    // The lab's load processes' result files.
    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "Merge")]
    [return: UnsafeAccessorType(LoadResult)]
    public static extern object MergeLoadResults([UnsafeAccessorType(LoadResultFile)] object? file, IEnumerable<string> paths);

    /// <summary>The address of a queue's shared memory (its header, then the ring).</summary>
    public static unsafe byte* QueueMemory(object queue)
    {
        object memory = queue.GetType().GetField("_memory", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(queue)
            ?? throw new MissingFieldException(queue.GetType().Name, "_memory");
        object pointer = memory.GetType().GetProperty("Pointer")?.GetValue(memory)
            ?? throw new MissingMemberException(memory.GetType().Name, "Pointer");
        return (byte*)Pointer.Unbox(pointer);
    }
}
