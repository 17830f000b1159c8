using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Plexus.Processes.Tests;

/// <summary>Speaks the manager's wire protocol by hand, to send it what a proxy never would.</summary>
internal static class ManagerSocket
{
    /// <summary>A connection that has passed the HMAC challenge.</summary>
    public static Socket Authenticated(ProcessManager manager)
    {
        Socket s = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(manager.Address));
        byte[] challenge = ReadFrame(s);
        SendFrame(s, HMACSHA256.HashData(manager.AuthKey, challenge));
        Assert.Equal("#WELCOME"u8.ToArray(), ReadFrame(s));
        return s;
    }

    public static byte[] ReadFrame(Socket s)
    {
        s.ReceiveTimeout = 10_000;
        byte[] header = new byte[4];
        ReadExactly(s, header);
        byte[] payload = new byte[BinaryPrimitives.ReadInt32LittleEndian(header)];
        ReadExactly(s, payload);
        return payload;
    }

    public static void SendFrame(Socket s, byte[] payload)
    {
        byte[] frame = new byte[payload.Length + 4];
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
        payload.CopyTo(frame, 4);
        s.Send(frame);
    }

    /// <summary>Whether the manager closed (or reset) this connection within 10 s.</summary>
    public static bool ClosedByServer(Socket s)
    {
        s.ReceiveTimeout = 10_000;
        try
        {
            return s.Receive(new byte[16]) == 0;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode == SocketError.ConnectionReset;
        }
    }

    private static void ReadExactly(Socket s, byte[] buffer)
    {
        for (int got = 0; got < buffer.Length;)
        {
            int n = s.Receive(buffer, got, buffer.Length - got, SocketFlags.None);
            if (n == 0)
            {
                throw new EndOfStreamException($"the manager closed the connection after {got} of {buffer.Length} bytes");
            }
            got += n;
        }
    }
}
