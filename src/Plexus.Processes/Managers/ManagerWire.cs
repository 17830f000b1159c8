using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using Plexus.Processes.Serialization;

namespace Plexus.Processes;

/// <summary>
/// The manager's wire: frames of a 4-byte little-endian length plus a MessagePack payload, and
/// the HMAC-SHA256 challenge that opens every connection (as Python's
/// <c>multiprocessing.connection.deliver_challenge</c>/<c>answer_challenge</c>).
/// </summary>
internal static class ManagerWire
{
    /// <summary>Frames bigger than this are refused and the connection dropped.</summary>
    public const int MaxFrame = ProcessManager.MaxMessageBytes;

    private const int ChallengeSize = 32;

    /// <summary>
    /// The largest frame of the handshake (a challenge, an answer, a verdict): before a peer has proved
    /// anything, it must not make this process allocate more (Python's <c>recv_bytes(256)</c>).
    /// </summary>
    private const int MaxHandshakeFrame = 256;
    private static readonly byte[] s_welcome = "#WELCOME"u8.ToArray();
    private static readonly byte[] s_failure = "#FAILURE"u8.ToArray();

    /// <summary>Appends one framed request or reply (an <c>object?[]</c>) to <paramref name="output"/>.</summary>
    public static void WriteFrame(ArrayBufferWriter<byte> output, object?[] message)
    {
        int start = output.WrittenCount;
        output.GetSpan(4);
        output.Advance(4);
        PlexusSerializer.Serialize<object?>(output, message);
        int length = output.WrittenCount - start - 4;
        // The header was reserved before the payload; patch it in place now that the length is known.
        BinaryPrimitives.WriteInt32LittleEndian(MemoryMarshalHelper.At(output, start), length);
    }

    /// <summary>Reads one whole frame (blocking), or <c>null</c> at end of stream.</summary>
    public static byte[]? ReadFrame(Socket socket) => ReadFrame(socket, MaxFrame);

    private static byte[]? ReadFrame(Socket socket, int limit)
    {
        byte[] header = new byte[4];
        if (!ReadExactly(socket, header))
        {
            return null;
        }
        int length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length < 0 || length > limit)
        {
            throw new InvalidDataException($"a manager frame announced {length} bytes; the limit is {limit}");
        }
        byte[] payload = new byte[length];
        return ReadExactly(socket, payload) ? payload : throw new EndOfStreamException("the peer closed mid-frame");
    }

    /// <summary>Sends one raw frame.</summary>
    public static void SendRaw(Socket socket, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[payload.Length + 4];
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
        payload.CopyTo(frame.AsSpan(4));
        socket.Send(frame);
    }

    private static bool ReadExactly(Socket socket, Span<byte> buffer)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = socket.Receive(buffer[done..]);
            if (n == 0)
            {
                if (done == 0)
                {
                    return false;
                }
                throw new EndOfStreamException("the peer closed mid-frame");
            }
            done += n;
        }
        return true;
    }

    /// <summary>Server side: challenges the client; true when it proved it knows the key.</summary>
    public static bool DeliverChallenge(Socket socket, byte[] authKey)
    {
        byte[] challenge = RandomNumberGenerator.GetBytes(ChallengeSize);
        SendRaw(socket, challenge);
        byte[]? answer = ReadFrame(socket, MaxHandshakeFrame);
        bool ok = answer is not null && CryptographicOperations.FixedTimeEquals(answer, HMACSHA256.HashData(authKey, challenge));
        SendRaw(socket, ok ? s_welcome : s_failure);
        return ok;
    }

    /// <summary>Client side: answers the server's challenge; throws <see cref="AuthenticationException"/> when refused.</summary>
    public static void AnswerChallenge(Socket socket, byte[] authKey, string address)
    {
        byte[]? verdict;
        try
        {
            byte[] challenge = ReadFrame(socket, MaxHandshakeFrame) ?? throw Refused(address, "it closed the connection before the challenge");
            SendRaw(socket, HMACSHA256.HashData(authKey, challenge));
            verdict = ReadFrame(socket, MaxHandshakeFrame);
        }
        catch (Exception e) when (e is SocketException or InvalidDataException)
        {
            throw Refused(address, e.Message);
        }
        if (verdict is null || !verdict.AsSpan().SequenceEqual(s_welcome))
        {
            throw Refused(address, "the authentication key is wrong or missing");
        }
    }

    private static AuthenticationException Refused(string address, string why) => new(
        $"the manager at {address} refused this connection: {why}. Pass the manager's AuthKey to ProcessManager.Connect.");
}
