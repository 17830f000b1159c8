using System.Buffers.Binary;
using System.Net.Sockets;
using Plexus.Native;
using Plexus.Processes.Serialization;

namespace Plexus.Fuzz;

/// <summary>
/// <c>manager</c>: the manager's server reading an authenticated client's byte stream (frames, then
/// requests: create objects, call them, cancel, shut down) as its session thread does, in chunks whose
/// sizes the input picks. The oracles: nothing escapes the server but what drops the client
/// (<see cref="InvalidDataException"/>), and no reply reports an error that means the server failed to
/// check its input (<see cref="NullReferenceException"/>, <see cref="IndexOutOfRangeException"/>, ...).
/// </summary>
internal sealed class ManagerTarget
{
    private static readonly string[] s_serverFaults =
    [
        typeof(NullReferenceException).FullName!, typeof(IndexOutOfRangeException).FullName!,
        typeof(InvalidProgramException).FullName!, typeof(AccessViolationException).FullName!,
        typeof(OutOfMemoryException).FullName!, typeof(InsufficientExecutionStackException).FullName!,
    ];

    private static readonly List<byte> s_replies = [];

    private readonly byte[] _input;
    private readonly int _chunk;
    private int _at;

    private ManagerTarget(byte[] input)
    {
        _input = input;
        _chunk = 1 + input[0] % 64;
        _at = 1;
    }

    public static void Run(byte[] input)
    {
        if (input.Length < 2)
        {
            return;
        }
        object server = Internals.NewManagerServer("fuzz-key"u8.ToArray(), []);
        (int serverFd, int clientFd) = SocketPair.Create(nonBlocking: false);
        using var serverSocket = new Socket(new SafeSocketHandle(serverFd, ownsHandle: true));
        using var clientSocket = new Socket(new SafeSocketHandle(clientFd, ownsHandle: true));
        object session = Internals.NewManagerSession(serverSocket);
        object frames = Internals.NewFrameReader(new ManagerTarget(input), nameof(Receive));
        try
        {
            Serve(server, session, frames, clientSocket);
        }
        catch (InvalidDataException)
        {
            // A corrupt frame header: the session drops this client, as it should.
        }
        finally
        {
            Internals.Closed(server, session);
        }
        CheckReplies(clientSocket);
    }

    private static void Serve(object server, object session, object frames, Socket client)
    {
        while (Internals.Fill(frames))
        {
            while (Internals.Next(frames) is { } frame)
            {
                if (!Internals.Handle(server, session, frame))
                {
                    return;
                }
            }
            Internals.Flush(session);
            Drain(client);
            if (Internals.Stopping(server))
            {
                return;
            }
        }
    }

    /// <summary>The session's receive: the next few input bytes; 0 (EOF) at the end.</summary>
    private int Receive(Span<byte> buffer)
    {
        int n = Math.Min(Math.Min(_chunk, buffer.Length), _input.Length - _at);
        _input.AsSpan(_at, n).CopyTo(buffer);
        _at += n;
        return n;
    }

    /// <summary>Moves the replies sent so far out of the socket (so the server never blocks on a full buffer).</summary>
    private static void Drain(Socket client)
    {
        byte[] buffer = new byte[64 * 1024];
        while (client.Available > 0)
        {
            int n = client.Receive(buffer);
            s_replies.AddRange(buffer.AsSpan(0, n));
        }
    }

    private static void CheckReplies(Socket client)
    {
        Drain(client);
        byte[] all = [.. s_replies];
        s_replies.Clear();
        for (int at = 0; at + 4 <= all.Length;)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(all.AsSpan(at));
            if (length < 0 || at + 4 + length > all.Length)
            {
                throw new FuzzFinding($"the server wrote a malformed reply frame ({length} bytes announced at offset {at})");
            }
            object? reply = PlexusSerializer.Deserialize<object?>(all.AsMemory(at + 4, length));
            at += 4 + length;
            if (reply is object?[] { Length: 3 } r && r[1] is false && r[2] is object?[] { Length: 2 } error
                && error[0] is string type && s_serverFaults.Contains(type))
            {
                throw new FuzzFinding($"the server failed on a client's request with {type}: {error[1]}");
            }
        }
    }
}
