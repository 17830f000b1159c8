using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Plexus.IO.Tests;

/// <summary>Socket coroutines on one loop thread: the server and the clients all run on the same loop.</summary>
public sealed class CoroutineTests
{
    private static readonly IPEndPoint s_any = new(IPAddress.Loopback, 0);

    private static void Guard(EventLoop loop, int seconds = 60) => loop.CallLater(TimeSpan.FromSeconds(seconds), loop.Stop);

    /// <summary>Echoes until the peer closes; the server side of most tests.</summary>
    private static async Task EchoAsync(EventLoop loop, LoopSocket conn, int bufferSize = 4096)
    {
        using (conn)
        {
            byte[] buffer = new byte[bufferSize];
            while (true)
            {
                int n = await loop.ReceiveAsync(conn, buffer);
                if (n == 0)
                {
                    return;
                }
                await loop.SendAllAsync(conn, buffer.AsMemory(0, n));
            }
        }
    }

    private static async Task ServeAsync(EventLoop loop, LoopSocket listener, int connections, List<Task> handlers)
    {
        for (int i = 0; i < connections; i++)
        {
            LoopSocket conn = await loop.AcceptAsync(listener);
            handlers.Add(EchoAsync(loop, conn));
        }
    }

    private static async Task ReceiveExactlyAsync(EventLoop loop, LoopSocket socket, Memory<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n = await loop.ReceiveAsync(socket, buffer);
            if (n == 0)
            {
                throw new EndOfStreamException($"peer closed with {buffer.Length} bytes still expected");
            }
            buffer = buffer[n..];
        }
    }

    public static TheoryData<string> Backends => new() { "select", "poll", "epoll", "epoll-edge" };

    [Theory]
    [MemberData(nameof(Backends))]
    public void Echo_round_trip_and_end_of_stream_on_every_backend(string backend)
    {
        using var loop = new EventLoop(backend switch
        {
            "select" => new Selectors.SelectSelector(),
            "poll" => new Selectors.PollSelector(),
            "epoll-edge" => new Selectors.EpollSelector(Selectors.EpollTrigger.Edge),
            _ => new Selectors.EpollSelector(),
        });
        using LoopSocket listener = LoopSocket.Listen(s_any);
        Guard(loop);
        loop.RunUntilComplete(async () =>
        {
            var handlers = new List<Task>();
            Task server = ServeAsync(loop, listener, 1, handlers);
            using LoopSocket client = LoopSocket.CreateTcp();
            await loop.ConnectAsync(client, listener.LocalEndPoint);
            await server;
            byte[] message = "hello, loop"u8.ToArray();
            await loop.SendAllAsync(client, message);
            byte[] back = new byte[message.Length];
            await ReceiveExactlyAsync(loop, client, back);
            Assert.Equal(message, back);
            client.ShutdownSend();
            Assert.Equal(0, await loop.ReceiveAsync(client, back));
            await Task.WhenAll(handlers);
        });
    }

    [Fact]
    public void A_thousand_concurrent_echo_coroutines_on_one_thread()
    {
        const int Clients = 1000, Rounds = 5;
        using var loop = new EventLoop();
        using LoopSocket listener = LoopSocket.Listen(s_any);
        int loopThread = Environment.CurrentManagedThreadId;
        var threads = new HashSet<int>();
        int ok = 0;
        Guard(loop, 90);
        loop.RunUntilComplete(async () =>
        {
            var handlers = new List<Task>();
            Task server = ServeAsync(loop, listener, Clients, handlers);

            async Task ClientAsync(int id)
            {
                using LoopSocket s = LoopSocket.CreateTcp();
                await loop.ConnectAsync(s, listener.LocalEndPoint);
                byte[] back = new byte[64];
                for (int r = 0; r < Rounds; r++)
                {
                    byte[] message = new byte[64];
                    BitConverter.TryWriteBytes(message, id);
                    BitConverter.TryWriteBytes(message.AsSpan(4), r);
                    await loop.SendAllAsync(s, message);
                    await ReceiveExactlyAsync(loop, s, back);
                    Assert.Equal(message, back);
                    threads.Add(Environment.CurrentManagedThreadId);
                }
                ok++;
            }

            await Task.WhenAll(Enumerable.Range(0, Clients).Select(ClientAsync));
            await server;
            await Task.WhenAll(handlers);
        });
        Assert.Equal(Clients, ok);
        Assert.Equal(new[] { loopThread }, threads);
    }

    [Fact]
    public void Four_MiB_through_a_small_send_buffer_arrives_intact()
    {
        using var loop = new EventLoop();
        using LoopSocket listener = LoopSocket.Listen(s_any);
        byte[] payload = RandomNumberGenerator.GetBytes(4 << 20);
        Guard(loop, 90);
        loop.RunUntilComplete(async () =>
        {
            var handlers = new List<Task>();
            Task server = ServeAsync(loop, listener, 1, handlers);
            using LoopSocket client = LoopSocket.CreateTcp();
            client.SendBufferSize = 4096;
            client.ReceiveBufferSize = 4096;
            await loop.ConnectAsync(client, listener.LocalEndPoint);
            await server;
            byte[] back = new byte[payload.Length];
            // Send and receive at once: neither side can hold 4 MiB in its kernel buffers.
            Task sending = loop.SendAllAsync(client, payload).AsTask();
            Task receiving = ReceiveExactlyAsync(loop, client, back);
            await Task.WhenAll(sending, receiving);
            Assert.True(payload.AsSpan().SequenceEqual(back));
            client.ShutdownSend();
            await Task.WhenAll(handlers);
        });
    }

    [Fact]
    public void A_peer_reset_fails_the_receive_with_ConnectionReset()
    {
        using var loop = new EventLoop();
        using LoopSocket listener = LoopSocket.Listen(s_any);
        Guard(loop);
        SocketException e = loop.RunUntilComplete(async () =>
        {
            LoopSocket client = LoopSocket.CreateTcp();
            await loop.ConnectAsync(client, listener.LocalEndPoint);
            using LoopSocket conn = await loop.AcceptAsync(listener);
            ValueTask<int> pending = loop.ReceiveAsync(conn, new byte[16]);
            Assert.False(pending.IsCompleted);
            client.SetResetOnClose();
            client.Dispose();
            return await Assert.ThrowsAsync<SocketException>(async () => await pending);
        });
        Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
        Assert.Contains("ECONNRESET", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Connecting_to_a_closed_port_is_refused()
    {
        using var loop = new EventLoop();
        int port = Fds.FreePort();
        Guard(loop);
        SocketException e = loop.RunUntilComplete(async () =>
        {
            using LoopSocket client = LoopSocket.CreateTcp();
            return await Assert.ThrowsAsync<SocketException>(async () => await loop.ConnectAsync(client, new IPEndPoint(IPAddress.Loopback, port)));
        });
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    }

    [Fact]
    public void A_second_receive_while_one_waits_is_refused_and_dispose_fails_the_waiter()
    {
        using var loop = new EventLoop();
        using LoopSocket listener = LoopSocket.Listen(s_any);
        Guard(loop);
        loop.RunUntilComplete(async () =>
        {
            using LoopSocket client = LoopSocket.CreateTcp();
            await loop.ConnectAsync(client, listener.LocalEndPoint);
            LoopSocket conn = await loop.AcceptAsync(listener);
            ValueTask<int> first = loop.ReceiveAsync(conn, new byte[16]);
            var e = Assert.Throws<InvalidOperationException>(() => loop.ReceiveAsync(conn, new byte[16]));
            Assert.Contains("already has a Receive operation waiting", e.Message, StringComparison.Ordinal);
            conn.Dispose();
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await first);
            Assert.Throws<ObjectDisposedException>(() => loop.ReceiveAsync(conn, new byte[16]));
        });
    }

    [Fact]
    public void Socket_operations_from_another_thread_are_refused_while_the_loop_runs()
    {
        using var loop = new EventLoop();
        using LoopSocket socket = LoopSocket.CreateTcp();
        Exception? error = null;
        var other = new Thread(() => error = Record.Exception(() => loop.ReceiveAsync(socket, new byte[1])));
        loop.CallSoon(() =>
        {
            other.Start();
            other.Join();
            loop.Stop();
        });
        loop.RunForever();
        Assert.IsType<InvalidOperationException>(error);
        Assert.Contains("event loop's thread", error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Steady_state_echo_allocates_nothing_per_round_trip()
    {
        using var loop = new EventLoop();
        using LoopSocket listener = LoopSocket.Listen(s_any);
        Guard(loop, 90);
        long allocated = loop.RunUntilComplete(async () =>
        {
            var handlers = new List<Task>();
            Task server = ServeAsync(loop, listener, 1, handlers);
            using LoopSocket client = LoopSocket.CreateTcp();
            client.NoDelay = true;
            await loop.ConnectAsync(client, listener.LocalEndPoint);
            await server;
            byte[] message = new byte[32];
            byte[] back = new byte[32];
            long before = 0;
            for (int i = 0; i < 12_000; i++)
            {
                if (i == 2_000)
                {
                    before = GC.GetAllocatedBytesForCurrentThread();
                }
                await loop.SendAllAsync(client, message);
                int got = 0;
                while (got < back.Length)
                {
                    got += await loop.ReceiveAsync(client, back.AsMemory(got));
                }
            }
            long used = GC.GetAllocatedBytesForCurrentThread() - before;
            client.ShutdownSend();
            await Task.WhenAll(handlers);
            return used;
        });
        Assert.Equal(0, allocated);
    }
}
