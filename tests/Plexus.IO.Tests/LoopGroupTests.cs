using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Plexus.IO.Tests;

/// <summary>Several loops sharing one port with SO_REUSEPORT, and their graceful shutdown.</summary>
public sealed class LoopGroupTests
{
    private static readonly IPEndPoint s_any = new(IPAddress.Loopback, 0);
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void Connections_spread_across_the_loops_and_shutdown_closes_them_all()
    {
        var servedBy = new ConcurrentDictionary<EventLoop, int>();
        using LoopGroup group = LoopGroup.Start(2, s_any, async (reader, writer, stopping) =>
        {
            servedBy.AddOrUpdate(EventLoop.Running!, 1, (_, n) => n + 1);
            ReadOnlyMemory<byte> line;
            while (!(line = await reader.ReadLineAsync(stopping)).IsEmpty)
            {
                writer.Write(line.Span);
                await writer.DrainAsync(stopping);
            }
        });
        Assert.Equal(2, group.Loops.Count);
        var endPoint = (IPEndPoint)group.LocalEndPoint;
        Assert.NotEqual(0, endPoint.Port);

        // 40 connections from distinct source ports: the kernel's hash puts them on both listeners
        // (all on one would happen with probability 2^-39).
        var clients = new List<Socket>();
        try
        {
            for (int i = 0; i < 40; i++)
            {
                Socket client = Connect(endPoint);
                clients.Add(client);
                client.Send("hello\n"u8.ToArray());
                Assert.Equal("hello\n", ReadLine(client));
            }
            WaitUntil(() => servedBy.Values.Sum() == 40);
            Assert.Equal(2, servedBy.Count);
            Assert.All(servedBy.Keys, loop => Assert.Contains(loop, group.Loops));

            // The clients stay connected and idle: the handlers wait in ReadLineAsync(stopping).
            Assert.True(group.Shutdown(s_patience), "a handler outlived the grace period although its read was cancelled");
            Assert.All(group.Loops, loop => Assert.True(loop.IsClosed));
            foreach (Socket client in clients)
            {
                client.ReceiveTimeout = (int)s_patience.TotalMilliseconds;
                Assert.Equal(0, client.Receive(new byte[16])); // closed by the server
            }
            var refused = Assert.Throws<SocketException>(() => Connect(endPoint));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public void Shutdown_cuts_off_handlers_that_ignore_the_token_after_the_grace_period()
    {
        using var handling = new CountdownEvent(4);
        using LoopGroup group = LoopGroup.Start(2, s_any, async (reader, writer, _) =>
        {
            handling.Signal();
            await reader.ReadLineAsync(CancellationToken.None); // deaf to the group's token
        });
        var endPoint = (IPEndPoint)group.LocalEndPoint;
        var clients = Enumerable.Range(0, 4).Select(_ => Connect(endPoint)).ToList();
        try
        {
            Assert.True(handling.Wait(s_patience), "the handlers did not start");
            Assert.False(group.Shutdown(TimeSpan.FromMilliseconds(100)));
            foreach (Socket client in clients)
            {
                client.ReceiveTimeout = (int)s_patience.TotalMilliseconds;
                Assert.Equal(0, client.Receive(new byte[16]));
            }
            Assert.False(group.Shutdown(TimeSpan.Zero)); // a second call returns at once with the same answer
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public void Start_refuses_a_port_held_by_a_socket_without_SO_REUSEPORT()
    {
        using LoopSocket taken = LoopSocket.Listen(s_any);
        var e = Assert.Throws<SocketException>(() => LoopGroup.Start(2, taken.LocalEndPoint, (_, _, _) => Task.CompletedTask));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        Assert.Contains("SO_REUSEPORT", e.Message, StringComparison.Ordinal);
    }

    private static Socket Connect(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Connect(endPoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static string ReadLine(Socket socket)
    {
        socket.ReceiveTimeout = (int)s_patience.TotalMilliseconds;
        var line = new List<byte>();
        byte[] one = new byte[1];
        while (socket.Receive(one) == 1)
        {
            line.Add(one[0]);
            if (one[0] == (byte)'\n')
            {
                break;
            }
        }
        return System.Text.Encoding.ASCII.GetString(line.ToArray());
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < s_patience, "condition not met in time");
            Thread.Sleep(10);
        }
    }
}
