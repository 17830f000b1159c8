using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Plexus.IO.Tests;

/// <summary>IPv6, Unix domain and UDP sockets on the loop, and name resolution off it.</summary>
public sealed class FamilyTests
{
    private static void Guard(EventLoop loop, int seconds = 60) => loop.CallLater(TimeSpan.FromSeconds(seconds), loop.Stop);

    private static Task<LoopServer> StartEchoServerAsync(EventLoop loop, EndPoint endPoint)
        => loop.StartServerAsync(async (reader, writer) =>
        {
            byte[] buffer = new byte[1024];
            int n;
            while ((n = await reader.ReadAsync(buffer)) > 0)
            {
                writer.Write(buffer.AsSpan(0, n));
                await writer.DrainAsync();
            }
        }, endPoint);

    private static async Task<string> EchoOnceAsync(EventLoop loop, EndPoint endPoint, string text)
    {
        var (reader, writer) = await loop.OpenConnectionAsync(endPoint);
        using (reader)
        await using (writer)
        {
            byte[] message = Encoding.ASCII.GetBytes(text);
            writer.Write(message);
            byte[] back = new byte[message.Length];
            await reader.ReadExactlyAsync(back);
            return Encoding.ASCII.GetString(back);
        }
    }

    [Fact]
    public void IPv6_accept_connect_and_echo()
    {
        using var loop = new EventLoop();
        Guard(loop);
        loop.RunUntilComplete(async () =>
        {
            await using LoopServer server = await StartEchoServerAsync(loop, new IPEndPoint(IPAddress.IPv6Loopback, 0));
            var local = Assert.IsType<IPEndPoint>(server.LocalEndPoint);
            Assert.Equal(AddressFamily.InterNetworkV6, local.AddressFamily);
            Assert.NotEqual(0, local.Port);
            Assert.Equal("over IPv6", await EchoOnceAsync(loop, local, "over IPv6"));

            using LoopSocket raw = LoopSocket.CreateTcp(AddressFamily.InterNetworkV6);
            await loop.ConnectAsync(raw, local);
            Assert.Equal(IPAddress.IPv6Loopback, raw.LocalEndPoint.Address);
            Assert.Equal(local, raw.RemoteAddress);
            server.Close();
        });
    }

    [Fact]
    public void Unix_domain_socket_accept_connect_and_echo()
    {
        string dir = Directory.CreateTempSubdirectory("plexus-io-").FullName;
        string path = Path.Combine(dir, "echo.sock");
        try
        {
            using var loop = new EventLoop();
            Guard(loop);
            loop.RunUntilComplete(async () =>
            {
                await using LoopServer server = await StartEchoServerAsync(loop, new UnixDomainSocketEndPoint(path));
                Assert.Equal(path, server.LocalEndPoint.ToString());
                Assert.Equal("over a Unix socket", await EchoOnceAsync(loop, new UnixDomainSocketEndPoint(path), "over a Unix socket"));
                using LoopSocket raw = LoopSocket.CreateUnix();
                Assert.Throws<InvalidOperationException>(() => raw.LocalEndPoint);
                server.Close();
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_socket_refuses_an_endpoint_of_another_family_saying_so()
    {
        using var loop = new EventLoop();
        using LoopSocket v4 = LoopSocket.CreateTcp();
        var e = Assert.Throws<ArgumentException>(() => loop.ConnectAsync(v4, new IPEndPoint(IPAddress.IPv6Loopback, 1)));
        Assert.Contains("InterNetworkV6 but socket fd", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UDP_echo_with_a_lost_datagram_timed_out_and_the_socket_still_working()
    {
        using var loop = new EventLoop();
        Guard(loop);
        loop.RunUntilComplete(async () =>
        {
            using LoopSocket server = loop.CreateDatagramEndpoint(local: new IPEndPoint(IPAddress.Loopback, 0));
            var serverEnd = server.LocalEndPoint;

            // Echoes every datagram except the one that says "lose me": that one is "lost".
            async Task EchoAsync()
            {
                byte[] buffer = new byte[2048];
                while (true)
                {
                    LoopReceiveFromResult got = await loop.ReceiveFromAsync(server, buffer);
                    string text = Encoding.ASCII.GetString(buffer, 0, got.ReceivedBytes);
                    if (text == "stop")
                    {
                        return;
                    }
                    if (text != "lose me")
                    {
                        await loop.SendToAsync(server, buffer.AsMemory(0, got.ReceivedBytes), got.RemoteEndPoint);
                    }
                }
            }

            Task echo = EchoAsync();
            using LoopSocket client = loop.CreateDatagramEndpoint(local: new IPEndPoint(IPAddress.Loopback, 0));
            byte[] back = new byte[2048];

            async Task<string> AskAsync(string text, TimeSpan timeout)
            {
                await loop.SendToAsync(client, Encoding.ASCII.GetBytes(text), serverEnd);
                LoopReceiveFromResult r = await loop.WaitForAsync(ct => loop.ReceiveFromAsync(client, back, ct).AsTask(), timeout);
                Assert.Equal(serverEnd, r.RemoteEndPoint);
                return Encoding.ASCII.GetString(back, 0, r.ReceivedBytes);
            }

            Assert.Equal("one", await AskAsync("one", TimeSpan.FromSeconds(30)));
            await Assert.ThrowsAsync<TimeoutException>(() => AskAsync("lose me", TimeSpan.FromMilliseconds(100)));
            Assert.Equal("three", await AskAsync("three", TimeSpan.FromSeconds(30)));

            // A connected datagram socket sends with SendAllAsync and hears only its peer.
            using LoopSocket connected = loop.CreateDatagramEndpoint(remote: serverEnd);
            await loop.SendAllAsync(connected, "four"u8.ToArray());
            Assert.Equal(4, await loop.ReceiveAsync(connected, back));
            await loop.SendToAsync(client, "stop"u8.ToArray(), serverEnd);
            await echo;
        });
    }

    [Fact]
    public void Names_resolve_off_the_loop_and_the_result_comes_back_on_it()
    {
        using var loop = new EventLoop();
        Guard(loop);
        int loopThread = Environment.CurrentManagedThreadId;
        loop.RunUntilComplete(async () =>
        {
            int completedOn = 0;
            Task<IPAddress[]> resolving = loop.GetHostAddressesAsync("localhost");
            // A continuation without the loop's context still sees the loop thread.
            Task seen = resolving.ContinueWith(_ => completedOn = Environment.CurrentManagedThreadId, TaskContinuationOptions.ExecuteSynchronously);
            IPAddress[] addresses = await resolving;
            await seen;
            Assert.Contains(addresses, IPAddress.IsLoopback);
            Assert.Equal(loopThread, completedOn);
            Assert.Equal(loopThread, Environment.CurrentManagedThreadId);

            await using LoopServer server = await StartEchoServerAsync(loop, new IPEndPoint(IPAddress.Loopback, 0));
            var (reader, writer) = await loop.OpenConnectionAsync("localhost", ((IPEndPoint)server.LocalEndPoint).Port);
            reader.Dispose();
            await writer.DisposeAsync();
            server.Close();
        });
    }
}
