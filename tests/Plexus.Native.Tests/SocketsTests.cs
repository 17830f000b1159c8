using System.Net;
using System.Net.Sockets;

namespace Plexus.Native.Tests;

public sealed class SocketsTests
{
    [Fact]
    public void A_non_blocking_client_connects_to_a_raw_listener_and_bytes_round_trip()
    {
        int listener = Sockets.OpenTcp(nonBlocking: true);
        int client = -1, server = -1;
        try
        {
            Sockets.SetOption(listener, SocketOption.ReuseAddress, 1);
            int port = BindToFreePort(listener);
            Sockets.Listen(listener, 16);
            Assert.Equal(-Errnos.EAGAIN, Sockets.Accept(listener, nonBlocking: true));

            client = Sockets.OpenTcp(nonBlocking: true);
            Assert.True(FdInfo.IsNonBlocking(client));
            Assert.True(FdInfo.IsCloseOnExec(client));
            Sockets.SetOption(client, SocketOption.NoDelay, 1);
            int connected = Sockets.Connect(client, IPAddress.Loopback, port);
            Assert.True(connected == 0 || connected == -Errnos.EINPROGRESS, $"connect returned {connected}");
            Span<PollFd> writable = [new PollFd { Fd = client, Events = Poll.Out }];
            Assert.Equal(1, Poll.Wait(writable, 10_000));
            Assert.Equal(0, Sockets.PendingError(client));

            Assert.True(Descriptors.WaitReadable(listener, 10_000));
            server = Sockets.Accept(listener, nonBlocking: false);
            Assert.True(server >= 0, $"accept returned {server}");
            Assert.False(FdInfo.IsNonBlocking(server));
            Assert.True(FdInfo.IsCloseOnExec(server));

            Assert.Equal(4, Descriptors.WriteSome(client, "ping"u8));
            Span<byte> buffer = stackalloc byte[8];
            Assert.Equal(4, Descriptors.ReadSome(server, buffer));
            Assert.Equal(0, Sockets.Shutdown(server, SocketShutdown.Send));
            Assert.True(Descriptors.WaitReadable(client, 10_000));
            Assert.Equal(0, Descriptors.ReadSome(client, buffer)); // end of stream after the shutdown
        }
        finally
        {
            Descriptors.Close(server);
            Descriptors.Close(client);
            Descriptors.Close(listener);
        }
    }

    [Fact]
    public void Connecting_to_a_closed_port_reports_ECONNREFUSED()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        int fd = Sockets.OpenTcp(nonBlocking: false);
        try
        {
            Assert.Equal(-Errnos.ECONNREFUSED, Sockets.Connect(fd, IPAddress.Loopback, port));
        }
        finally
        {
            Descriptors.Close(fd);
        }
    }

    [Fact]
    public void Only_IPv4_addresses_are_taken()
    {
        int fd = Sockets.OpenTcp(nonBlocking: false);
        try
        {
            var e = Assert.Throws<ArgumentException>(() => Sockets.Connect(fd, IPAddress.IPv6Loopback, 80));
            Assert.Contains("IPv4 only", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Descriptors.Close(fd);
        }
    }

    /// <summary>Binds to a port the kernel just reported free; retries if another process took it meanwhile.</summary>
    private static int BindToFreePort(int fd)
    {
        for (int attempt = 0; ; attempt++)
        {
            int port;
            using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                port = ((IPEndPoint)probe.LocalEndPoint!).Port;
            }
            try
            {
                Sockets.Bind(fd, IPAddress.Loopback, port);
                return port;
            }
            catch (ErrnoException e) when (e.Errno == Errnos.EADDRINUSE && attempt < 10)
            {
            }
        }
    }
}
