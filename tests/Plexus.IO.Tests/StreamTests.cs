using System.Net;
using System.Text;

namespace Plexus.IO.Tests;

/// <summary>Servers, reader/writer streams and back-pressure on the loop, over real loopback sockets.</summary>
public sealed class StreamTests
{
    private static readonly IPEndPoint s_any = new(IPAddress.Loopback, 0);

    private static void Guard(EventLoop loop, int seconds = 60) => loop.CallLater(TimeSpan.FromSeconds(seconds), loop.Stop);

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.ASCII.GetString(bytes.Span);

    [Fact]
    public void A_line_echo_server_answers_a_client_from_OpenConnection()
    {
        using var loop = new EventLoop();
        Guard(loop);
        loop.RunUntilComplete(async () =>
        {
            await using LoopServer server = await loop.StartServerAsync(async (reader, writer) =>
            {
                while (true)
                {
                    ReadOnlyMemory<byte> line = await reader.ReadLineAsync();
                    if (line.IsEmpty)
                    {
                        return;
                    }
                    writer.Write(line.Span);
                    await writer.DrainAsync();
                }
            }, s_any);
            var (reader, writer) = await loop.OpenConnectionAsync(server.LocalEndPoint);
            using (reader)
            await using (writer)
            {
                writer.Write("one\ntwo\n"u8);
                Assert.Equal("one\n", Text(await reader.ReadLineAsync()));
                Assert.Equal("two\n", Text(await reader.ReadLineAsync()));
                await writer.WriteEofAsync();
                Assert.True((await reader.ReadLineAsync()).IsEmpty);
                Assert.True(reader.AtEnd);
            }
            server.Close();
        });
    }

    [Fact]
    public void ReadLine_joins_lines_split_across_packets_and_ReadExactly_reports_a_short_stream()
    {
        using var loop = new EventLoop();
        using LoopSocket listener = LoopSocket.Listen(s_any);
        Guard(loop);
        loop.RunUntilComplete(async () =>
        {
            using LoopSocket client = LoopSocket.CreateTcp();
            client.NoDelay = true;
            await loop.ConnectAsync(client, listener.LocalEndPoint);
            LoopSocket conn = await loop.AcceptAsync(listener);
            using var reader = new LoopStreamReader(loop, conn);
            await using var owner = new LoopStreamWriter(loop, conn);

            ValueTask<ReadOnlyMemory<byte>> first = reader.ReadLineAsync();
            foreach (string piece in new[] { "hel", "lo\nwo", "rld", "\r\n", "END", "--tail" })
            {
                await loop.SendAllAsync(client, Encoding.ASCII.GetBytes(piece));
                await loop.Sleep(TimeSpan.FromMilliseconds(5));
            }
            client.ShutdownSend();
            Assert.Equal("hello\n", Text(await first));
            Assert.Equal("world\r\n", Text(await reader.ReadLineAsync()));
            Assert.Equal("END--", Text(await reader.ReadUntilAsync("--"u8.ToArray())));
            byte[] tail = new byte[10];
            var e = await Assert.ThrowsAsync<EndOfStreamException>(async () => await reader.ReadExactlyAsync(tail));
            Assert.Contains("after 4 of 10", e.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void A_line_longer_than_the_limit_is_a_clear_error_and_memory_stays_bounded()
    {
        using var loop = new EventLoop();
        using LoopSocket listener = LoopSocket.Listen(s_any);
        Guard(loop);
        loop.RunUntilComplete(async () =>
        {
            using LoopSocket client = LoopSocket.CreateTcp();
            await loop.ConnectAsync(client, listener.LocalEndPoint);
            LoopSocket conn = await loop.AcceptAsync(listener);
            using var reader = new LoopStreamReader(loop, conn, limit: 1024);
            await using var owner = new LoopStreamWriter(loop, conn);
            Task sending = loop.SendAllAsync(client, new byte[1 << 20]).AsTask();
            var e = await Assert.ThrowsAsync<StreamLimitExceededException>(async () => await reader.ReadLineAsync());
            Assert.Contains("limit of 1024 bytes", e.Message, StringComparison.Ordinal);
            Assert.True(reader.BufferedCount <= 1024, $"{reader.BufferedCount} bytes kept after the overrun");
            conn.Dispose();
            // Whether the kernel buffers took the whole megabyte or the send fails on the closed peer is not the point here.
            _ = await Record.ExceptionAsync(() => sending);
        });
    }

    [Fact]
    public void A_fast_writer_waits_at_the_high_water_mark_until_the_reader_drains()
    {
        using var loop = new EventLoop();
        using LoopSocket listener = LoopSocket.Listen(s_any);
        Guard(loop, 90);
        const int Total = 32 << 20, Chunk = 16 << 10;
        loop.RunUntilComplete(async () =>
        {
            var client = LoopSocket.CreateTcp();
            client.SendBufferSize = 16 << 10;
            await loop.ConnectAsync(client, listener.LocalEndPoint);
            LoopSocket conn = await loop.AcceptAsync(listener);
            conn.ReceiveBufferSize = 16 << 10;
            await using var writer = new LoopStreamWriter(loop, client);
            var blocked = new TaskCompletionSource<int>();
            bool readerStarted = false;
            bool blockedBeforeReading = false;

            async Task WriteAllAsync()
            {
                byte[] chunk = new byte[Chunk];
                for (int sent = 0; sent < Total; sent += Chunk)
                {
                    writer.Write(chunk);
                    ValueTask drain = writer.DrainAsync();
                    if (!drain.IsCompleted && !blocked.Task.IsCompleted)
                    {
                        blockedBeforeReading = !readerStarted;
                        blocked.SetResult(writer.BufferedCount);
                    }
                    await drain;
                }
                await writer.WriteEofAsync();
            }

            Task writing = WriteAllAsync();
            int bufferedWhenBlocked = await blocked.Task;
            Assert.True(blockedBeforeReading);
            Assert.True(bufferedWhenBlocked > writer.HighWaterMark, $"{bufferedWhenBlocked} buffered");
            Assert.True(bufferedWhenBlocked <= writer.HighWaterMark + Chunk, $"{bufferedWhenBlocked} buffered: the writer ran past the mark");
            await loop.Sleep(TimeSpan.FromMilliseconds(50));
            Assert.False(writing.IsCompleted, "the writer must stay blocked while nobody reads");

            readerStarted = true;
            using var reader = new LoopStreamReader(loop, conn);
            byte[] sink = new byte[65536];
            long received = 0;
            int n;
            while ((n = await reader.ReadAsync(sink)) > 0)
            {
                received += n;
            }
            await writing;
            Assert.Equal(Total, received);
            conn.Dispose();
        });
    }
}

/// <summary>What the streams layer allocates per round trip in steady state.</summary>
public sealed class StreamAllocationTests
{
    [Fact]
    public void A_line_echo_allocates_nothing_per_round_trip()
    {
        using var loop = new EventLoop();
        loop.CallLater(TimeSpan.FromSeconds(90), loop.Stop);
        double perTrip = loop.RunUntilComplete(async () =>
        {
            await using LoopServer server = await loop.StartServerAsync(async (reader, writer) =>
            {
                while (true)
                {
                    ReadOnlyMemory<byte> line = await reader.ReadLineAsync();
                    if (line.IsEmpty)
                    {
                        return;
                    }
                    writer.Write(line.Span);
                    await writer.DrainAsync();
                }
            }, new IPEndPoint(IPAddress.Loopback, 0));
            var (reader, writer) = await loop.OpenConnectionAsync(server.LocalEndPoint);
            writer.Socket.NoDelay = true;
            byte[] message = "0123456789abcdefghijklmnopqrstu\n"u8.ToArray();
            long before = 0;
            const int Warm = 2_000, Trips = 10_000;
            for (int i = 0; i < Warm + Trips; i++)
            {
                if (i == Warm)
                {
                    before = GC.GetAllocatedBytesForCurrentThread();
                }
                writer.Write(message);
                await writer.DrainAsync();
                ReadOnlyMemory<byte> back = await reader.ReadLineAsync();
                if (back.Length != message.Length)
                {
                    throw new InvalidOperationException($"echoed {back.Length} bytes, sent {message.Length}");
                }
            }
            double used = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Trips;
            await writer.DisposeAsync();
            reader.Dispose();
            return used;
        });
        Console.WriteLine($"stream line echo: {perTrip:F1} bytes allocated per round trip");
        Assert.True(perTrip < 1, $"{perTrip:F1} bytes per round trip");
    }
}

/// <summary>What a server does when its loop closes under it.</summary>
public sealed class ServerShutdownTests
{
    [Fact]
    public void Disposing_the_loop_ends_a_server_and_its_handlers_quietly()
    {
        var loop = new EventLoop();
        var reported = new List<LoopExceptionContext>();
        loop.ExceptionHandler = (_, context) => reported.Add(context);
        bool handlerUnwound = false;
        LoopServer? server = null;
        (LoopStreamReader Reader, LoopStreamWriter Writer) client = default;
        loop.RunUntilComplete(async () =>
        {
            var accepted = new TaskCompletionSource();
            server = await loop.StartServerAsync(async (reader, writer) =>
            {
                try
                {
                    accepted.SetResult();
                    await reader.ReadLineAsync();
                }
                finally
                {
                    handlerUnwound = true;
                }
            }, new IPEndPoint(IPAddress.Loopback, 0));
            client = await loop.OpenConnectionAsync(server.LocalEndPoint);
            await accepted.Task;
        });
        Assert.Equal(1, server!.ConnectionCount);
        loop.Dispose();
        Assert.True(handlerUnwound);
        Assert.Equal(0, server.ConnectionCount);
        Assert.False(server.IsServing);
        Assert.Empty(reported);
        client.Writer!.Dispose();
        client.Reader!.Dispose();
    }
}
