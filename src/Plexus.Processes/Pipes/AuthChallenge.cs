using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Plexus.Processes;

/// <summary>
/// The HMAC-SHA256 challenge that opens an authenticated connection (Python's
/// <c>multiprocessing.connection.deliver_challenge</c>/<c>answer_challenge</c>): one side sends 32
/// random bytes, the other answers with their HMAC under the shared key, and the first replies
/// <c>#WELCOME</c> or <c>#FAILURE</c>. The key itself never crosses the wire. Frames are those of a
/// <see cref="Connection"/> and of the manager (a 4-byte little-endian length and a payload), at most
/// <see cref="MaxFrame"/> bytes. The manager runs it one way (it challenges its clients);
/// <see cref="ProcessListener"/> and <see cref="ProcessClient"/> run it both ways.
/// </summary>
internal static class AuthChallenge
{
    /// <summary>
    /// The largest frame either side reads before it is authenticated (a challenge, an answer, a
    /// verdict), so an unauthenticated peer cannot make this process allocate more.
    /// </summary>
    public const int MaxFrame = 256;

    private const int ChallengeSize = 32;
    private static readonly byte[] s_welcome = "#WELCOME"u8.ToArray();
    private static readonly byte[] s_failure = "#FAILURE"u8.ToArray();
    private static readonly byte[] s_refused = "#REFUSED "u8.ToArray();

    /// <summary>Challenges the peer; true when it proved it knows <paramref name="authKey"/> (it is told either way).</summary>
    /// <exception cref="SocketException">The socket failed or its receive timeout passed.</exception>
    /// <exception cref="InvalidDataException">The peer sent a frame over <see cref="MaxFrame"/>.</exception>
    public static bool Deliver(Socket socket, byte[] authKey)
    {
        byte[] challenge = RandomNumberGenerator.GetBytes(ChallengeSize);
        Send(socket, challenge);
        byte[]? answer = Receive(socket);
        bool ok = answer is not null && CryptographicOperations.FixedTimeEquals(answer, HMACSHA256.HashData(authKey, challenge));
        Send(socket, ok ? s_welcome : s_failure);
        return ok;
    }

    /// <summary>
    /// Sends, in place of the challenge, why the peer will not be served (a server out of descriptors);
    /// its <see cref="Answer(Socket, byte[], out bool)"/> reports that reason. Best effort: a peer that
    /// already left is not told.
    /// </summary>
    public static void Refuse(Socket socket, string reason)
    {
        byte[] text = Encoding.UTF8.GetBytes(reason);
        byte[] payload = [.. s_refused, .. text.AsSpan(0, Math.Min(text.Length, MaxFrame - s_refused.Length))];
        try
        {
            Send(socket, payload);
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>Answers the peer's challenge: null when the peer accepted the answer, otherwise why not.</summary>
    /// <exception cref="SocketException">The socket failed or its receive timeout passed.</exception>
    /// <exception cref="InvalidDataException">The peer sent a frame over <see cref="MaxFrame"/>.</exception>
    public static string? Answer(Socket socket, byte[] authKey) => Answer(socket, authKey, out _);

    /// <summary>
    /// Answers the peer's challenge: null when the peer accepted the answer, otherwise why not;
    /// <paramref name="turnedAway"/> is true when the peer sent <see cref="Refuse"/>'s reason instead of a
    /// challenge (no key was tried).
    /// </summary>
    /// <exception cref="SocketException">The socket failed or its receive timeout passed.</exception>
    /// <exception cref="InvalidDataException">The peer sent a frame over <see cref="MaxFrame"/>.</exception>
    public static string? Answer(Socket socket, byte[] authKey, out bool turnedAway)
    {
        turnedAway = false;
        if (Receive(socket) is not { } challenge)
        {
            return "it closed the connection before the challenge";
        }
        // A challenge is random bytes: one that starts with these 9 bytes comes once in 2^72.
        if (challenge.AsSpan().StartsWith(s_refused))
        {
            turnedAway = true;
            return Encoding.UTF8.GetString(challenge.AsSpan(s_refused.Length));
        }
        Send(socket, HMACSHA256.HashData(authKey, challenge));
        return Receive(socket) is { } verdict && verdict.AsSpan().SequenceEqual(s_welcome) ? null : "the authentication key is wrong or missing";
    }

    private static void Send(Socket socket, byte[] payload)
    {
        byte[] frame = new byte[payload.Length + 4];
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
        payload.CopyTo(frame.AsSpan(4));
        socket.Send(frame);
    }

    /// <returns>One frame's payload, or null when the peer closed the connection.</returns>
    private static byte[]? Receive(Socket socket)
    {
        byte[] header = new byte[4];
        if (!ReceiveExactly(socket, header))
        {
            return null;
        }
        int length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length < 0 || length > MaxFrame)
        {
            throw new InvalidDataException($"the peer announced a {(uint)length}-byte frame during authentication, where at most {MaxFrame} are expected");
        }
        byte[] payload = new byte[length];
        return ReceiveExactly(socket, payload) ? payload : null;
    }

    private static bool ReceiveExactly(Socket socket, Span<byte> buffer)
    {
        for (int done = 0; done < buffer.Length;)
        {
            int n = socket.Receive(buffer[done..]);
            if (n == 0)
            {
                return false;
            }
            done += n;
        }
        return true;
    }
}
