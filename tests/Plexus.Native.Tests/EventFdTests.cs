namespace Plexus.Native.Tests;

public sealed class EventFdTests
{
    [Fact]
    public void A_signal_wakes_a_thread_blocked_in_epoll_and_drain_counts_the_signals()
    {
        int fd = EventFd.Create(nonBlocking: true);
        int epfd = Epoll.Create();
        try
        {
            Assert.True(FdInfo.IsNonBlocking(fd));
            Assert.True(FdInfo.IsCloseOnExec(fd));
            Assert.Equal(0, EventFd.Drain(fd));
            Epoll.Add(epfd, fd, Epoll.In, 7);
            int woke = 0;
            var waiter = new Thread(() =>
            {
                var events = new EpollEvent[1];
                woke = Epoll.Wait(epfd, events, 30_000);
            });
            waiter.Start();
            EventFd.Signal(fd);
            EventFd.Signal(fd);
            Assert.True(waiter.Join(TimeSpan.FromSeconds(30)), "the waiter never woke");
            Assert.Equal(1, woke);
            Assert.Equal(2, EventFd.Drain(fd));
            Assert.Equal(0, EventFd.Drain(fd));
            Assert.False(Descriptors.WaitReadable(fd, 0));
        }
        finally
        {
            Descriptors.Close(epfd);
            Descriptors.Close(fd);
        }
    }

    [Fact]
    public void A_blocking_drain_waits_for_the_signal()
    {
        int fd = EventFd.Create(nonBlocking: false);
        try
        {
            Assert.False(FdInfo.IsNonBlocking(fd));
            long drained = -1;
            var drainer = new Thread(() => drained = EventFd.Drain(fd));
            drainer.Start();
            // Not done without a signal (whether or not it has reached read yet, it cannot finish).
            Assert.False(drainer.Join(50));
            EventFd.Signal(fd);
            Assert.True(drainer.Join(TimeSpan.FromSeconds(30)));
            Assert.Equal(1, drained);
        }
        finally
        {
            Descriptors.Close(fd);
        }
    }
}
