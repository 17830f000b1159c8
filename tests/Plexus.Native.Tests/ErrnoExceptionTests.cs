using System.Net;
using System.Net.Sockets;

namespace Plexus.Native.Tests;

public sealed class ErrnoExceptionTests
{
    [Fact]
    public void Message_names_the_call_the_errno_and_the_systems_text()
    {
        var e = new ErrnoException("epoll_ctl", Errnos.EBADF, "descriptor 7");
        Assert.Equal("epoll_ctl failed on descriptor 7: EBADF (9): Bad file descriptor", e.Message);
        Assert.Equal("epoll_ctl", e.Call);
        Assert.Equal(Errnos.EBADF, e.Errno);
        Assert.Equal("read failed: errno 200 (200): Unknown error 200", new ErrnoException("read", 200).Message);
    }

    [Fact]
    public void A_failed_wrapper_call_throws_with_the_real_errno()
    {
        int epfd = Epoll.Create();
        try
        {
            (int a, int b) = SocketPair.Create(nonBlocking: true);
            Descriptors.Close(a);
            Descriptors.Close(b);
            var e = Assert.Throws<ErrnoException>(() => Epoll.Add(epfd, a, Epoll.In, 0));
            Assert.Equal(Errnos.EBADF, e.Errno);
            Assert.Equal($"epoll_ctl(EPOLL_CTL_ADD) failed on descriptor {a}: EBADF (9): Bad file descriptor", e.Message);
        }
        finally
        {
            Descriptors.Close(epfd);
        }
    }

    [Fact]
    public void A_port_in_use_is_EADDRINUSE_from_bind()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        int fd = Sockets.OpenTcp(nonBlocking: false);
        try
        {
            var e = Assert.Throws<ErrnoException>(() => Sockets.Bind(fd, IPAddress.Loopback, port));
            Assert.Equal(Errnos.EADDRINUSE, e.Errno);
            Assert.Equal("bind", e.Call);
            Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Descriptors.Close(fd);
        }
    }
}
