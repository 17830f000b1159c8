namespace Plexus.Native.Tests;

/// <summary>Epoll, poll and select on a real socket pair: silent while nothing is there, ready once a byte is.</summary>
public sealed class ReadinessTests : IDisposable
{
    private readonly int _a;
    private readonly int _b;

    public ReadinessTests() => (_a, _b) = SocketPair.Create(nonBlocking: true);

    public void Dispose()
    {
        Descriptors.Close(_a);
        Descriptors.Close(_b);
    }

    [Fact]
    public void Epoll_reports_the_registered_data_once_readable_and_follows_modify()
    {
        int epfd = Epoll.Create();
        try
        {
            Assert.True(FdInfo.IsCloseOnExec(epfd));
            Span<EpollEvent> events = stackalloc EpollEvent[4];
            Epoll.Add(epfd, _a, Epoll.In, 0xFEED_0000_0001UL);
            Assert.Equal(0, Epoll.Wait(epfd, events, 0));
            Descriptors.WriteSome(_b, "x"u8);
            Assert.Equal(1, Epoll.Wait(epfd, events, 5000));
            Assert.Equal(0xFEED_0000_0001UL, events[0].Data);
            Assert.Equal(Epoll.In, events[0].Events & Epoll.In);

            Epoll.Modify(epfd, _a, Epoll.Out, 42);
            Assert.Equal(1, Epoll.Wait(epfd, events, 5000));
            Assert.Equal(42UL, events[0].Data);
            Assert.Equal(Epoll.Out, events[0].Events & (Epoll.In | Epoll.Out));

            Epoll.Remove(epfd, _a);
            Assert.Equal(0, Epoll.Wait(epfd, events, 0));
        }
        finally
        {
            Descriptors.Close(epfd);
        }
    }

    [Fact]
    public void Epoll_wait_on_a_closed_set_returns_the_negated_errno()
    {
        int epfd = Epoll.Create();
        Descriptors.Close(epfd);
        Span<EpollEvent> events = stackalloc EpollEvent[1];
        Assert.Equal(-Errnos.EBADF, Epoll.Wait(epfd, events, 0));
    }

    [Fact]
    public void Poll_sets_returned_events_only_for_ready_descriptors()
    {
        Span<PollFd> fds = [new PollFd { Fd = _a, Events = Poll.In }, new PollFd { Fd = _b, Events = Poll.In }];
        Assert.Equal(0, Poll.Wait(fds, 0));
        Descriptors.WriteSome(_a, "x"u8);
        Assert.Equal(1, Poll.Wait(fds, 5000));
        Assert.Equal(0, fds[0].REvents);
        Assert.Equal(Poll.In, fds[1].REvents);
    }

    [Fact]
    public void Select_leaves_only_ready_descriptors_in_the_sets()
    {
        FdSet read = default;
        FdSet write = default;
        read.Set(_a);
        read.Set(_b);
        Assert.Equal(0, FdSet.Select(Math.Max(_a, _b) + 1, ref read, ref write, 0));
        Assert.False(read.IsSet(_a));

        Descriptors.WriteSome(_b, "x"u8);
        read.Set(_a);
        read.Set(_b);
        write.Set(_b);
        Assert.Equal(2, FdSet.Select(Math.Max(_a, _b) + 1, ref read, ref write, 5000));
        Assert.True(read.IsSet(_a));
        Assert.False(read.IsSet(_b));
        Assert.True(write.IsSet(_b));
        Assert.Equal(1UL, (read.Word(_a >> 6) >> (_a & 63)) & 1);
        Assert.Equal(0UL, (read.Word(_b >> 6) >> (_b & 63)) & 1);
    }

    [Fact]
    public void A_descriptor_select_cannot_hold_is_refused_rather_than_written_past_the_set()
    {
        FdSet set = default;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => set.Set(FdSet.Capacity));
        Assert.Contains("use poll or epoll", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Set(-1));
        set.Set(FdSet.Capacity - 1);
        Assert.True(set.IsSet(FdSet.Capacity - 1));
        set.Clear(FdSet.Capacity - 1);
        Assert.False(set.IsSet(FdSet.Capacity - 1));
    }

    [Fact]
    public void Hot_path_wrappers_allocate_nothing()
    {
        int epfd = Epoll.Create();
        try
        {
            Epoll.Add(epfd, _a, Epoll.In, 1);
            Span<EpollEvent> events = stackalloc EpollEvent[8];
            Span<byte> buffer = stackalloc byte[64];
            Span<PollFd> fds = [new PollFd { Fd = _a, Events = Poll.In }];
            Descriptors.WriteSome(_b, "warm"u8);
            Epoll.Wait(epfd, events, 0);
            Poll.Wait(fds, 0);
            Descriptors.ReadSome(_a, buffer);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                Descriptors.WriteSome(_b, "ping"u8);
                Epoll.Wait(epfd, events, 0);
                Poll.Wait(fds, 0);
                Descriptors.ReadSome(_a, buffer);
                Descriptors.ReadSome(_a, buffer); // -EAGAIN: the failure path must not allocate either
            }
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        finally
        {
            Descriptors.Close(epfd);
        }
    }
}
