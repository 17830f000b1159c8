using System.Net;
using System.Net.Sockets;
using System.Text;
using Plexus.Native;

namespace Plexus.IO.Tests;

/// <summary>The io_uring binding against real sockets: submit, complete, multishot, provided buffers.</summary>
public sealed unsafe class IoUringTests
{
    private const int ENOBUFS = 105;
    private const int ECANCELED = 125;
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_nop_completes_with_its_user_data()
    {
        using var ring = new IoUring(8);
        Assert.True(ring.TryNop(41));
        Assert.True(ring.TryNop(42));
        Assert.Equal(2, ring.Queued);
        Assert.Equal(2, ring.SubmitAndWait(2));
        Assert.Equal(0, ring.Queued);
        Span<IoUringCompletion> got = stackalloc IoUringCompletion[4];
        Assert.Equal(2, ring.GetCompletions(got));
        Assert.Equal([41UL, 42UL], new[] { got[0].UserData, got[1].UserData });
        Assert.All(got[..2].ToArray(), c => Assert.Equal(0, c.Result));
        Assert.False(ring.TryGetCompletion(out _));
    }

    [Fact]
    public void A_full_submission_ring_refuses_more_until_submitted()
    {
        using var ring = new IoUring(4);
        int queued = 0;
        while (ring.TryNop((ulong)queued)) queued++;
        Assert.Equal(ring.SubmissionEntries, queued);
        ring.SubmitAndWait(queued);
        Assert.True(ring.TryNop(99));
    }

    [Fact]
    public void Waiting_with_a_timeout_returns_when_nothing_completes()
    {
        using var ring = new IoUring(4);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, ring.SubmitAndWait(1, TimeSpan.FromMilliseconds(50)));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(40), $"returned after {clock.Elapsed}");
        Assert.Equal(0, ring.CompletionsReady);
    }

    [Fact]
    public void Send_and_receive_into_a_caller_buffer_move_the_bytes()
    {
        (Socket a, Socket b) = Fds.TcpPair();
        using (a) using (b)
        {
            using var ring = new IoUring(8);
            byte[] message = Encoding.ASCII.GetBytes("hello ring");
            byte* into = stackalloc byte[64];
            fixed (byte* m = message)
            {
                Assert.True(ring.TryReceive((int)b.Handle, (nint)into, 64, userData: 2));
                Assert.True(ring.TrySend((int)a.Handle, (nint)m, message.Length, userData: 1));
                var results = Collect(ring, 2);
                Assert.Equal(message.Length, results[1].Result);
                Assert.Equal(message.Length, results[2].Result);
            }
            Assert.Equal("hello ring", Encoding.ASCII.GetString(into, message.Length));
        }
    }

    [Fact]
    public void A_poll_completes_only_once_its_descriptor_is_readable()
    {
        (Socket a, Socket b) = Fds.TcpPair();
        using (a) using (b)
        {
            using var ring = new IoUring(8);
            Assert.True(ring.TryPoll((int)b.Handle, events: 1, userData: 7)); // POLLIN
            ring.SubmitAndWait(0);
            Assert.Equal(0, ring.SubmitAndWait(1, TimeSpan.FromMilliseconds(50)));
            Assert.False(ring.TryGetCompletion(out _)); // nothing to read yet: still waiting
            a.Send("x"u8);
            IoUringCompletion done = Next(ring);
            Assert.Equal(7UL, done.UserData);
            Assert.True((done.Result & 1) != 0, $"events {done.Result}");
        }
    }

    [Fact]
    public void A_multishot_accept_completes_once_per_connection_and_stays_armed()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        using var ring = new IoUring(8);
        Assert.True(ring.TryAccept((int)listener.Handle, userData: 7, multishot: true));
        ring.SubmitAndWait();
        var clients = new List<Socket>();
        var accepted = new List<int>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(c);
                c.Connect(listener.LocalEndPoint!);
            }
            var deadline = DateTime.UtcNow + s_patience;
            while (accepted.Count < 3 && DateTime.UtcNow < deadline)
            {
                ring.SubmitAndWait(1, TimeSpan.FromMilliseconds(200));
                while (ring.TryGetCompletion(out IoUringCompletion done))
                {
                    Assert.Equal(7UL, done.UserData);
                    Assert.True(done.Result >= 0, $"accept failed: errno {done.Errno}");
                    Assert.True(done.HasMore, "a multishot accept disarmed itself");
                    accepted.Add(done.Result);
                }
            }
            Assert.Equal(3, accepted.Count);
            // Each accepted descriptor is a live socket: a byte from client i arrives on it.
            for (int i = 0; i < 3; i++)
            {
                clients[i].Send(new[] { (byte)i });
            }
            var seen = new HashSet<byte>();
            byte[] one = new byte[1];
            foreach (int fd in accepted)
            {
                Assert.Equal(1, Descriptors.ReadSome(fd, one));
                seen.Add(one[0]);
            }
            Assert.Equal(new HashSet<byte> { 0, 1, 2 }, seen);
        }
        finally
        {
            accepted.ForEach(Descriptors.Close);
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public void A_multishot_receive_fills_provided_buffers_until_they_run_out_then_is_rearmed()
    {
        (Socket a, Socket b) = Fds.TcpPair();
        using (a) using (b)
        {
            a.Blocking = true;
            using var ring = new IoUring(8);
            using IoUringBufferRing buffers = ring.RegisterBufferRing(groupId: 3, count: 2, size: 16);
            Assert.True(ring.TryReceive((int)b.Handle, buffers, userData: 5));
            ring.SubmitAndWait();

            // Two messages fill the two buffers; each completion keeps the receive armed.
            var held = new List<ushort>();
            var text = new StringBuilder();
            foreach (string m in new[] { "one", "two" })
            {
                a.Send(Encoding.ASCII.GetBytes(m));
                IoUringCompletion c = Next(ring);
                Assert.True(c.HasBuffer && c.HasMore, $"result {c.Result}, flags {c.Flags}");
                text.Append(Encoding.ASCII.GetString(buffers.Received(c)));
                held.Add(c.BufferId);
            }
            Assert.Equal("onetwo", text.ToString());
            Assert.NotEqual(held[0], held[1]);

            // No buffer left: the third arrival ends the multishot receive with ENOBUFS and no data lost.
            a.Send(Encoding.ASCII.GetBytes("three"));
            IoUringCompletion starved = Next(ring);
            Assert.Equal(ENOBUFS, starved.Errno);
            Assert.False(starved.HasMore);

            // Give the buffers back and arm it again: the waiting bytes arrive.
            held.ForEach(buffers.Recycle);
            Assert.True(ring.TryReceive((int)b.Handle, buffers, userData: 6));
            ring.SubmitAndWait();
            IoUringCompletion again = Next(ring);
            Assert.Equal(6UL, again.UserData);
            Assert.Equal("three", Encoding.ASCII.GetString(buffers.Received(again)));
        }
    }

    [Fact]
    public void Cancelling_an_armed_receive_ends_it_with_ECANCELED()
    {
        (Socket a, Socket b) = Fds.TcpPair();
        using (a) using (b)
        {
            using var ring = new IoUring(8);
            using IoUringBufferRing buffers = ring.RegisterBufferRing(groupId: 1, count: 4, size: 64);
            Assert.True(ring.TryReceive((int)b.Handle, buffers, userData: 10));
            ring.SubmitAndWait();
            Assert.True(ring.TryCancel(targetUserData: 10, userData: 11));
            var results = Collect(ring, 2);
            Assert.Equal(ECANCELED, results[10].Errno);
            Assert.Equal(1, results[11].Result);
        }
    }

    [Fact]
    public void A_buffer_ring_size_that_is_not_a_power_of_two_is_refused_with_the_rule()
    {
        using var ring = new IoUring(4);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ring.RegisterBufferRing(1, 3, 64));
        Assert.Contains("power of two", e.Message, StringComparison.Ordinal);
    }

    private static IoUringCompletion Next(IoUring ring)
    {
        var deadline = DateTime.UtcNow + s_patience;
        while (DateTime.UtcNow < deadline)
        {
            if (ring.TryGetCompletion(out IoUringCompletion c)) return c;
            ring.SubmitAndWait(1, TimeSpan.FromMilliseconds(200));
        }
        throw new TimeoutException("no completion within " + s_patience);
    }

    private static Dictionary<ulong, IoUringCompletion> Collect(IoUring ring, int count)
    {
        var results = new Dictionary<ulong, IoUringCompletion>();
        while (results.Count < count)
        {
            IoUringCompletion c = Next(ring);
            results[c.UserData] = c;
        }
        return results;
    }
}
