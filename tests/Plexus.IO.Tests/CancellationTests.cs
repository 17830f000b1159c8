using System.Net;

namespace Plexus.IO.Tests;

/// <summary>Every awaitable loop operation can be cancelled mid-wait, and the socket still works afterwards.</summary>
public sealed class CancellationTests
{
    private static readonly IPEndPoint s_any = new(IPAddress.Loopback, 0);

    private static void Guard(EventLoop loop, int seconds = 60) => loop.CallLater(TimeSpan.FromSeconds(seconds), loop.Stop);

    private static async Task<(LoopSocket Client, LoopSocket Server)> PairAsync(EventLoop loop, LoopSocket listener)
    {
        LoopSocket client = LoopSocket.CreateTcp();
        await loop.ConnectAsync(client, listener.LocalEndPoint);
        return (client, await loop.AcceptAsync(listener));
    }

    public static TheoryData<string> Backends => new() { "select", "poll", "epoll", "epoll-edge" };

    [Theory]
    [MemberData(nameof(Backends))]
    public void A_cancelled_receive_ends_cleanly_and_the_next_receive_gets_the_data(string backend)
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
            var (client, server) = await PairAsync(loop, listener);
            using (client)
            using (server)
            {
                using var cts = new CancellationTokenSource();
                byte[] buffer = new byte[16];
                ValueTask<int> pending = loop.ReceiveAsync(server, buffer, cts.Token);
                Assert.False(pending.IsCompleted);
                loop.CallLater(TimeSpan.FromMilliseconds(20), cts.Cancel);
                var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
                Assert.Equal(cts.Token, e.CancellationToken);

                await loop.SendAllAsync(client, "after"u8.ToArray());
                int n = await loop.ReceiveAsync(server, buffer);
                Assert.Equal("after", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            }
        });
    }

    [Fact]
    public void A_cancelled_accept_leaves_the_listener_accepting()
    {
        using var loop = new EventLoop();
        using LoopSocket listener = LoopSocket.Listen(s_any);
        Guard(loop);
        loop.RunUntilComplete(async () =>
        {
            using var cts = new CancellationTokenSource();
            ValueTask<LoopSocket> pending = loop.AcceptAsync(listener, cts.Token);
            Assert.False(pending.IsCompleted);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
            var (client, server) = await PairAsync(loop, listener);
            client.Dispose();
            server.Dispose();
        });
    }

    [Fact]
    public void A_cancelled_send_stops_waiting_and_a_later_send_goes_through()
    {
        using var loop = new EventLoop();
        using LoopSocket listener = LoopSocket.Listen(s_any);
        Guard(loop);
        loop.RunUntilComplete(async () =>
        {
            var (client, server) = await PairAsync(loop, listener);
            using (client)
            using (server)
            {
                client.SendBufferSize = 4096;
                server.ReceiveBufferSize = 4096;
                using var cts = new CancellationTokenSource();
                // Far more than both kernel buffers hold while nobody reads: the send must wait.
                ValueTask pending = loop.SendAllAsync(client, new byte[8 << 20], cts.Token);
                Assert.False(pending.IsCompleted);
                loop.CallLater(TimeSpan.FromMilliseconds(20), cts.Cancel);
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);

                // The zeros already sent arrive first, then the marker sent after the cancel.
                Task sending = loop.SendAllAsync(client, new byte[] { 1 }).AsTask();
                byte[] buffer = new byte[65536];
                while (true)
                {
                    int n = await loop.ReceiveAsync(server, buffer);
                    Assert.True(n > 0, "the connection closed before the marker arrived");
                    if (buffer[n - 1] == 1)
                    {
                        break;
                    }
                }
                await sending;
            }
        });
    }

    [Fact]
    public void A_cancelled_connect_can_be_retried_on_the_same_socket()
    {
        using var loop = new EventLoop();
        // Backlog 0: one unaccepted connection fills the queue and the kernel drops the next SYN,
        // so the second connect waits until the queue has room and the SYN is retransmitted.
        using LoopSocket listener = LoopSocket.Listen(s_any, backlog: 0);
        Guard(loop);
        loop.RunUntilComplete(async () =>
        {
            using LoopSocket first = LoopSocket.CreateTcp();
            await loop.ConnectAsync(first, listener.LocalEndPoint);
            using LoopSocket second = LoopSocket.CreateTcp();
            using var cts = new CancellationTokenSource();
            ValueTask pending = loop.ConnectAsync(second, listener.LocalEndPoint, cts.Token);
            await loop.Sleep(TimeSpan.FromMilliseconds(50));
            Assert.False(pending.IsCompleted, "the connect should wait while the accept queue is full");
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);

            using LoopSocket a = await loop.AcceptAsync(listener);
            await loop.ConnectAsync(second, listener.LocalEndPoint);
            using LoopSocket b = await loop.AcceptAsync(listener);
            await loop.SendAllAsync(second, new byte[] { 42 });
            byte[] one = new byte[1];
            Assert.Equal(1, await loop.ReceiveAsync(b, one));
            Assert.Equal(42, one[0]);
        });
    }

    [Fact]
    public void A_cancelled_sleep_ends_at_once()
    {
        using var loop = new EventLoop();
        Guard(loop);
        loop.RunUntilComplete(async () =>
        {
            using var cts = new CancellationTokenSource();
            double start = loop.Time;
            Task sleeping = loop.Sleep(TimeSpan.FromSeconds(30), cts.Token);
            loop.CallLater(TimeSpan.FromMilliseconds(10), cts.Cancel);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleeping);
            Assert.True(loop.Time - start < 10);
            Assert.True(sleeping.IsCanceled);
        });
    }

    [Fact]
    public void Cancelling_from_another_thread_is_delivered_on_the_loop()
    {
        using var loop = new EventLoop();
        using LoopSocket listener = LoopSocket.Listen(s_any);
        Guard(loop);
        int loopThread = Environment.CurrentManagedThreadId;
        loop.RunUntilComplete(async () =>
        {
            using var cts = new CancellationTokenSource();
            ValueTask<LoopSocket> pending = loop.AcceptAsync(listener, cts.Token);
            _ = Task.Run(cts.Cancel);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
            Assert.Equal(loopThread, Environment.CurrentManagedThreadId);
        });
    }

    [Fact]
    public void WaitFor_times_out_a_receive_with_TimeoutException_and_the_socket_stays_usable()
    {
        using var loop = new EventLoop();
        using LoopSocket listener = LoopSocket.Listen(s_any);
        Guard(loop);
        loop.RunUntilComplete(async () =>
        {
            var (client, server) = await PairAsync(loop, listener);
            using (client)
            using (server)
            {
                byte[] buffer = new byte[8];
                await Assert.ThrowsAsync<TimeoutException>(() =>
                    loop.WaitForAsync(ct => loop.ReceiveAsync(server, buffer, ct).AsTask(), TimeSpan.FromMilliseconds(30)));
                await loop.SendAllAsync(client, new byte[] { 7 });
                int n = await loop.WaitForAsync(ct => loop.ReceiveAsync(server, buffer, ct).AsTask(), TimeSpan.FromSeconds(30));
                Assert.Equal(1, n);
            }
        });
    }

    [Fact]
    public void A_timeout_scope_says_it_expired_and_an_outer_token_is_not_a_timeout()
    {
        using var loop = new EventLoop();
        Guard(loop);
        loop.RunUntilComplete(async () =>
        {
            using (LoopTimeout deadline = loop.Timeout(TimeSpan.FromMilliseconds(20)))
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop.Sleep(TimeSpan.FromSeconds(30), deadline.Token));
                Assert.True(deadline.Expired);
            }
            using var outer = new CancellationTokenSource();
            Task waiting = loop.WaitForAsync(ct => loop.Sleep(TimeSpan.FromSeconds(30), ct), TimeSpan.FromSeconds(30), outer.Token);
            outer.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
            Assert.IsNotType<TimeoutException>(waiting.Exception?.InnerException);
        });
    }

    [Fact]
    public void RunUntilComplete_leaves_other_coroutines_suspended_and_Dispose_cancels_and_unwinds_them()
    {
        var loop = new EventLoop();
        using LoopSocket listener = LoopSocket.Listen(s_any);
        int loopThread = Environment.CurrentManagedThreadId;
        int unwoundOn = 0;
        Task? receiver = null, sleeper = null;
        LoopSocket? client = null, server = null;
        loop.RunUntilComplete(async () =>
        {
            (client, server) = await PairAsync(loop, listener);
            receiver = Receive(server);
            sleeper = loop.Sleep(TimeSpan.FromHours(1));
        });

        async Task Receive(LoopSocket s)
        {
            try
            {
                await loop.ReceiveAsync(s, new byte[4]);
            }
            finally
            {
                unwoundOn = Environment.CurrentManagedThreadId;
            }
        }

        Assert.False(receiver!.IsCompleted, "a coroutine still waiting when the main one ends stays suspended");
        Assert.False(sleeper!.IsCompleted);
        loop.Dispose();
        Assert.True(receiver.IsCanceled);
        Assert.True(sleeper.IsCanceled);
        Assert.Equal(loopThread, unwoundOn);
        client!.Dispose();
        server!.Dispose();
    }

    [Fact]
    public void A_cancelled_ReadLine_keeps_the_reader_usable()
    {
        using var loop = new EventLoop();
        using LoopSocket listener = LoopSocket.Listen(s_any);
        Guard(loop);
        loop.RunUntilComplete(async () =>
        {
            var (client, server) = await PairAsync(loop, listener);
            using (client)
            {
                using var reader = new LoopStreamReader(loop, server);
                await using var writer = new LoopStreamWriter(loop, server);
                await loop.SendAllAsync(client, "par"u8.ToArray());
                using var cts = new CancellationTokenSource();
                ValueTask<ReadOnlyMemory<byte>> pending = reader.ReadLineAsync(cts.Token);
                loop.CallLater(TimeSpan.FromMilliseconds(20), cts.Cancel);
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
                await loop.SendAllAsync(client, "tial\n"u8.ToArray());
                Assert.Equal("partial\n", System.Text.Encoding.ASCII.GetString((await reader.ReadLineAsync()).Span));
            }
        });
    }
}
