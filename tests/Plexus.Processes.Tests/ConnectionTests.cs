using System.Buffers.Binary;
using System.Net.Sockets;
using Plexus.Native;

namespace Plexus.Processes.Tests;

public class ConnectionTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(30);

    [Fact]
    public void Duplex_pipe_sends_both_ways()
    {
        (Connection a, Connection b) = ProcessPipe.Create();
        using (a)
        using (b)
        {
            a.Send(new object?[] { 1, "x" });
            Assert.Equal(new object?[] { 1, "x" }, b.Receive());
            b.Send(new Point(1, "p"));
            Assert.Equal(new Point(1, "p"), a.Receive<Point>());
        }
    }

    [Fact]
    public void One_way_pipe_refuses_to_send_on_the_receiving_end()
    {
        (Connection reader, Connection writer) = ProcessPipe.Create(duplex: false);
        using (reader)
        using (writer)
        {
            Assert.Throws<InvalidOperationException>(() => reader.Send(1));
            Assert.Throws<InvalidOperationException>(() => writer.Receive<int>());
            writer.Send(7);
            Assert.Equal(7, reader.Receive<int>());
        }
    }

    [Fact]
    public async Task Raw_bytes_and_large_frames_round_trip()
    {
        (Connection a, Connection b) = ProcessPipe.Create();
        using (a)
        using (b)
        {
            a.SendBytes([1, 2, 3]);
            Assert.Equal(new byte[] { 1, 2, 3 }, b.ReceiveBytes());
            a.SendBytes([9, 8]);
            var into = new byte[10];
            Assert.Equal(2, b.ReceiveBytes(into));
            Assert.Equal(new byte[] { 9, 8 }, into[..2]);

            var big = new byte[8 << 20];
            Random.Shared.NextBytes(big);
            var sender = Task.Run(() => a.SendBytes(big));
            Assert.Equal(big, b.ReceiveBytes());
            await sender.WaitAsync(s_long);
            var bigObject = Task.Run(() => a.Send(big));
            Assert.Equal(big, b.Receive<byte[]>());
            await bigObject.WaitAsync(s_long);
        }
    }

    [Fact]
    public void Poll_is_false_then_true()
    {
        (Connection a, Connection b) = ProcessPipe.Create();
        using (a)
        using (b)
        {
            Assert.False(b.Poll(TimeSpan.FromMilliseconds(50)));
            a.Send("x");
            Assert.True(b.Poll(s_long));
            Assert.True(b.TryReceive(TimeSpan.FromSeconds(1), out string? got));
            Assert.Equal("x", got);
            Assert.False(b.TryReceive(TimeSpan.FromMilliseconds(20), out string? _));
        }
    }

    [Fact]
    public void Closed_peer_gives_end_of_stream()
    {
        (Connection a, Connection b) = ProcessPipe.Create();
        using (b)
        {
            a.Send(1);
            a.Dispose();
            Assert.Equal(1, b.Receive<int>());
            Assert.Throws<EndOfStreamException>(() => b.Receive<int>());
        }
    }

    [Fact]
    public void Truncated_frame_gives_end_of_stream_in_the_middle_of_a_frame()
    {
        (int mine, int theirs) = SocketPair.Create(nonBlocking: false);
        using var conn = new Connection(mine, true, true);
        using (var raw = new Socket(new SafeSocketHandle(theirs, true)))
        {
            var header = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(header, 100);
            raw.Send(header);
            raw.Send(new byte[10]);
        }
        EndOfStreamException e = Assert.Throws<EndOfStreamException>(() => conn.ReceiveBytes());
        Assert.Contains("middle of a frame", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_announced_frame_is_refused_without_allocating_it()
    {
        (int mine, int theirs) = SocketPair.Create(nonBlocking: false);
        using var conn = new Connection(mine, true, true);
        using var raw = new Socket(new SafeSocketHandle(theirs, true));
        var header = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(header, 1 << 30);
        raw.Send(header);
        long before = GC.GetAllocatedBytesForCurrentThread();
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => conn.ReceiveBytes());
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("MaxFrameSize", e.Message, StringComparison.Ordinal);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
        Assert.True(conn.IsClosed);
    }

    [Fact]
    public void Ends_passed_to_a_child_arrive_connected_in_seed_S8_order()
    {
        (Connection p1a, Connection p1b) = ProcessPipe.Create();
        (Connection p2a, Connection p2b) = ProcessPipe.Create();
        using (p1b)
        using (p2a)
        {
            using ChildProcess child = ChildProcess.Create(S8Child, p1a, p2b).Start();
            p1b.Send(new object?[] { 11, null, "hello from pipe1" });
            Assert.Equal(new object?[] { 11, null, "hello from pipe2" }, p2a.Receive());
            p1b.Send(new object?[] { 22, null, "hello from pipe1" });
            Assert.Equal(new object?[] { 22, null, "hello from pipe2" }, p2a.Receive());
            Assert.True(child.Join(s_long));
            Assert.Equal(0, child.ExitCode);
        }
    }

    [Fact]
    public void Passing_an_end_to_a_child_moves_it()
    {
        (Connection mine, Connection given) = ProcessPipe.Create();
        using (mine)
        {
            using ChildProcess child = ChildProcess.Create(EchoOnce, given).Start();
            mine.Send(5);
            Assert.Equal(5, mine.Receive<int>());
            Assert.True(child.Join(s_long));
            Assert.Throws<ObjectDisposedException>(() => given.Send(1));
        }
    }

    private static void S8Child(Connection fromParent, Connection toParent)
    {
        for (int i = 0; i < 2; i++)
        {
            object?[] got = fromParent.Receive<object?[]>();
            toParent.Send(new object?[] { got[0], null, "hello from pipe2" });
        }
    }

    private static void EchoOnce(Connection c)
    {
        using (c)
            c.Send(c.Receive<int>());
    }
}
