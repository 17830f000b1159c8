namespace Plexus.Native.Tests;

/// <summary>Asking whether a descriptor is open, and forgetting a watched one without exceptions.</summary>
public sealed class DescriptorStateTests
{
    [Fact]
    public void IsOpen_follows_a_descriptor_through_close()
    {
        int fd = EventFd.Create(nonBlocking: true);
        Assert.True(Descriptors.IsOpen(fd));
        Descriptors.Close(fd);
        Assert.False(Descriptors.IsOpen(fd));
        Assert.False(Descriptors.IsOpen(-1));
    }

    [Fact]
    public void TryRemove_reports_an_unwatched_descriptor_as_a_negated_errno_instead_of_throwing()
    {
        int epfd = Epoll.Create();
        int fd = EventFd.Create(nonBlocking: true);
        try
        {
            Assert.Equal(-Errnos.ENOENT, Epoll.TryRemove(epfd, fd));
            Epoll.Add(epfd, fd, Epoll.In, 1);
            Assert.Equal(0, Epoll.TryRemove(epfd, fd));
            Assert.Equal(-Errnos.ENOENT, Epoll.TryRemove(epfd, fd));
            Assert.Equal(-Errnos.EBADF, Epoll.TryRemove(epfd, -1));
        }
        finally
        {
            Descriptors.Close(fd);
            Descriptors.Close(epfd);
        }
    }
}
