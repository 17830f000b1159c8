using System.Net;
using System.Net.Sockets;

namespace Plexus.Native.Tests;

/// <summary>Sockets addressed by raw sockaddr bytes: datagrams, raw connects, options, and the resetting close.</summary>
public sealed class AddressedSocketsTests
{
    private const int ENOTCONN = 107;

    [Fact]
    public void A_datagram_reaches_a_bound_socket_with_the_senders_address()
    {
        int receiver = Sockets.Open(AddressFamily.InterNetwork, SocketType.Dgram, nonBlocking: true);
        int sender = Sockets.Open(AddressFamily.InterNetwork, SocketType.Dgram, nonBlocking: true);
        try
        {
            Assert.True(FdInfo.IsNonBlocking(receiver));
            Assert.True(FdInfo.IsCloseOnExec(receiver));
            Assert.Equal(0, Sockets.Bind(receiver, Raw(new IPEndPoint(IPAddress.Loopback, 0))));
            Assert.Equal(0, Sockets.Bind(sender, Raw(new IPEndPoint(IPAddress.Loopback, 0))));
            IPEndPoint receiverAddress = Local(receiver);
            Assert.NotEqual(0, receiverAddress.Port);

            Span<byte> buffer = stackalloc byte[16];
            Span<byte> from = stackalloc byte[Sockets.AddressCapacity];
            Assert.Equal(-Errnos.EAGAIN, Sockets.ReceiveFrom(receiver, buffer, from, out int none));
            Assert.Equal(0, none);

            Assert.Equal(5, Sockets.SendTo(sender, "hello"u8, Raw(receiverAddress)));
            Assert.True(Descriptors.WaitReadable(receiver, 10_000));
            Assert.Equal(5, Sockets.ReceiveFrom(receiver, buffer, from, out int fromLength));
            Assert.Equal("hello"u8.ToArray(), buffer[..5].ToArray());
            Assert.Equal(Local(sender), Decode(from[..fromLength]));
        }
        finally
        {
            Descriptors.Close(sender);
            Descriptors.Close(receiver);
        }
    }

    [Fact]
    public void A_raw_connect_sends_and_receives_and_a_resetting_close_gives_the_peer_ECONNRESET()
    {
        int listener = Sockets.Open(AddressFamily.InterNetwork, SocketType.Stream, nonBlocking: false);
        int client = -1, server = -1;
        try
        {
            Assert.Equal(0, Sockets.Bind(listener, Raw(new IPEndPoint(IPAddress.Loopback, 0))));
            Sockets.Listen(listener, 4);
            client = Sockets.Open(AddressFamily.InterNetwork, SocketType.Stream, nonBlocking: false);
            Span<byte> peer = stackalloc byte[Sockets.AddressCapacity];
            Assert.Equal(-ENOTCONN, Sockets.PeerAddress(client, peer));
            Assert.Equal(0, Sockets.Connect(client, Raw(Local(listener))));
            int peerLength = Sockets.PeerAddress(client, peer);
            Assert.Equal(Local(listener), Decode(peer[..peerLength]));

            server = Sockets.Accept(listener, nonBlocking: true);
            Assert.True(server >= 0, $"accept returned {server}");
            Sockets.SetOption(server, SocketOption.NoDelay, 1);
            Assert.NotEqual(0, Sockets.GetOption(server, SocketOption.NoDelay));
            Assert.Equal(0, Sockets.GetOption(client, SocketOption.NoDelay));

            Span<byte> buffer = stackalloc byte[8];
            Assert.Equal(-Errnos.EAGAIN, Sockets.Receive(server, buffer));
            Assert.Equal(4, Sockets.Send(client, "ping"u8));
            Assert.True(Descriptors.WaitReadable(server, 10_000));
            Assert.Equal(4, Sockets.Receive(server, buffer));

            Sockets.SetResetOnClose(server);
            Descriptors.Close(server);
            server = -1;
            Assert.True(Descriptors.WaitReadable(client, 10_000));
            Assert.Equal(-Errnos.ECONNRESET, Sockets.Receive(client, buffer));
        }
        finally
        {
            Descriptors.Close(server);
            Descriptors.Close(client);
            Descriptors.Close(listener);
        }
    }

    [Fact]
    public void Open_rejects_a_family_it_does_not_make()
        => Assert.Throws<ArgumentOutOfRangeException>(() => Sockets.Open(AddressFamily.AppleTalk, SocketType.Stream, nonBlocking: true));

    private static byte[] Raw(IPEndPoint endPoint)
    {
        SocketAddress address = endPoint.Serialize();
        return address.Buffer.Span[..address.Size].ToArray();
    }

    private static IPEndPoint Local(int fd)
    {
        Span<byte> address = stackalloc byte[Sockets.AddressCapacity];
        int length = Sockets.LocalAddress(fd, address);
        Assert.True(length > 0, $"getsockname returned {length}");
        return Decode(address[..length]);
    }

    private static IPEndPoint Decode(ReadOnlySpan<byte> raw)
    {
        var address = new SocketAddress(AddressFamily.InterNetwork, raw.Length);
        raw.CopyTo(address.Buffer.Span);
        return (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(address);
    }
}
