using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Authentication;
using Plexus.Processes.Serialization;

namespace Plexus.Processes;

/// <summary>
/// The manager's wire: frames of a 4-byte little-endian length plus a MessagePack payload, and
/// the HMAC-SHA256 challenge that opens every connection (<see cref="AuthChallenge"/> on the socket).
/// </summary>
internal static class ManagerWire
{
    /// <summary>Frames bigger than this are refused and the connection dropped.</summary>
    public const int MaxFrame = ProcessManager.MaxMessageBytes;

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

    /// <summary>Server side: challenges the client; true when it proved it knows the key.</summary>
    public static bool DeliverChallenge(Socket socket, byte[] authKey) => AuthChallenge.Deliver(socket, authKey);

    /// <summary>Server side: tells a client it will not be served, and why, instead of challenging it.</summary>
    public static void TurnAway(Socket socket, string reason) => AuthChallenge.Refuse(socket, reason);

    /// <summary>
    /// Client side: answers the server's challenge; throws <see cref="AuthenticationException"/> when refused,
    /// <see cref="ManagerConnectionException"/> when the manager turned the connection away (<see cref="TurnAway"/>).
    /// </summary>
    public static void AnswerChallenge(Socket socket, byte[] authKey, string address)
    {
        string? refused;
        bool turnedAway = false;
        try
        {
            refused = AuthChallenge.Answer(socket, authKey, out turnedAway);
        }
        catch (Exception e) when (e is SocketException or InvalidDataException)
        {
            refused = e.Message;
        }
        if (turnedAway)
        {
            throw new ManagerConnectionException($"the manager at {address} turned this connection away: {refused}");
        }
        if (refused is not null)
        {
            throw Refused(address, refused);
        }
    }

    private static AuthenticationException Refused(string address, string why) => new(
        $"the manager at {address} refused this connection: {why}. Pass the manager's AuthKey to ProcessManager.Connect.");
}
