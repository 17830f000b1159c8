using System.Net;

namespace Plexus.IO.Tests;

/// <summary>
/// The `streams` model's path: ReadAsync into a buffer at least as large as the reader's, which takes
/// the data straight from the socket; it allocates nothing per round trip and still sees the end.
/// </summary>
public sealed class StreamReadEchoTests
{
    private static async Task EchoAsync(LoopStreamReader reader, LoopStreamWriter writer)
    {
        byte[] buffer = new byte[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
        {
            writer.Write(buffer.AsSpan(0, n));
            await writer.DrainAsync();
        }
    }

    [Fact]
    public void A_read_write_drain_echo_allocates_nothing_per_round_trip()
    {
        using var loop = new EventLoop();
        loop.CallLater(TimeSpan.FromSeconds(90), loop.Stop);
        double perTrip = loop.RunUntilComplete(async () =>
        {
            await using LoopServer server = await loop.StartServerAsync(EchoAsync, new IPEndPoint(IPAddress.Loopback, 0));
            var (reader, writer) = await loop.OpenConnectionAsync(server.LocalEndPoint);
            writer.Socket.NoDelay = true;
            byte[] message = new byte[32];
            byte[] back = new byte[4096];
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
                int got = 0;
                while (got < message.Length)
                {
                    got += await reader.ReadAsync(back);
                }
            }
            double used = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Trips;
            await writer.DisposeAsync();
            reader.Dispose();
            return used;
        });
        Assert.True(perTrip < 1, $"{perTrip:F1} bytes per round trip");
    }

    [Fact]
    public void A_read_straight_from_the_socket_sees_the_end_and_later_reads_agree()
    {
        using var loop = new EventLoop();
        loop.CallLater(TimeSpan.FromSeconds(60), loop.Stop);
        loop.RunUntilComplete(async () =>
        {
            await using LoopServer server = await loop.StartServerAsync(async (reader, writer) =>
            {
                writer.Write("last words"u8);
                await writer.FlushAsync();
            }, new IPEndPoint(IPAddress.Loopback, 0));
            var (reader, writer) = await loop.OpenConnectionAsync(server.LocalEndPoint);
            using (reader)
            await using (writer)
            {
                byte[] buffer = new byte[8192];
                int total = 0, n;
                while ((n = await reader.ReadAsync(buffer.AsMemory(total))) > 0)
                {
                    total += n;
                }
                Assert.Equal("last words", System.Text.Encoding.ASCII.GetString(buffer, 0, total));
                Assert.True(reader.AtEnd);
                Assert.True((await reader.ReadLineAsync()).IsEmpty);
                Assert.Equal(0, await reader.ReadAsync(buffer));
                await Assert.ThrowsAsync<EndOfStreamException>(async () => await reader.ReadExactlyAsync(buffer.AsMemory(0, 1)));
            }
        });
    }
}
