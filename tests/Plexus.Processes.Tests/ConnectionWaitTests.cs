using System.Net;
using System.Net.Sockets;

namespace Plexus.Processes.Tests;

public sealed class ConnectionWaitTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(60);

    /// <summary>Echoes every order back until it is told "exit".</summary>
    private static void Obey(Connection c)
    {
        while (c.Receive<string>() is var order && order != "exit")
        {
            c.Send(order);
        }
    }

    private static void Nothing()
    {
    }

    private static (Socket Server, Socket Client) TcpPair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        return (listener.Accept(), client);
    }

    [Fact]
    public async Task Wait_wakes_on_the_first_of_a_connection_a_child_exit_and_a_socket()
    {
        (Connection talk, Connection talkTheirs) = ProcessPipe.Create();
        (Connection order, Connection orderTheirs) = ProcessPipe.Create();
        (Socket server, Socket client) = TcpPair();
        using (talk)
        using (order)
        using (server)
        using (client)
        using (ChildProcess echo = ChildProcess.Create(Obey, talkTheirs).Start())
        using (ChildProcess quitter = ChildProcess.Create(Obey, orderTheirs).Start())
        {
            object[] all = [talk, quitter, server];
            Assert.Empty(Connection.Wait(all, TimeSpan.Zero));

            // A message from another process: only the connection is ready.
            Task<IReadOnlyList<object>> waiting = Task.Run(() => Connection.Wait(all, s_long));
            talk.Send("ping");
            Assert.Equal(new object[] { talk }, await waiting.WaitAsync(s_long));
            Assert.Equal("ping", talk.Receive<string>());
            Assert.Empty(Connection.Wait(all, TimeSpan.Zero));

            // Bytes on a socket: only the socket.
            waiting = Task.Run(() => Connection.Wait(all, s_long));
            client.Send([1, 2, 3]);
            Assert.Equal(new object[] { server }, await waiting.WaitAsync(s_long));
            Assert.Equal(3, server.Receive(new byte[8]));
            Assert.Empty(Connection.Wait(all, TimeSpan.Zero));

            // A child's exit (its pipe is not in the list): only the child.
            waiting = Task.Run(() => Connection.Wait(all, s_long));
            order.Send("exit");
            Assert.Equal(new object[] { quitter }, await waiting.WaitAsync(s_long));
            Assert.True(quitter.Join(s_long));
            Assert.Equal(0, quitter.ExitCode);

            talk.Send("exit");
            Assert.True(echo.Join(s_long));
            // The child's end closed with it: its connection is ready (EOF), as is its sentinel.
            Assert.Equal(new object[] { talk, quitter }, Connection.Wait(all, TimeSpan.Zero));
        }
    }

    [Fact]
    public void A_frame_already_buffered_counts_as_ready_though_the_descriptor_has_nothing()
    {
        (Connection a, Connection b) = ProcessPipe.Create();
        using (a)
        using (b)
        {
            b.Send(1);
            b.Send(2);
            Assert.Equal(new object[] { a }, Connection.Wait([a], s_long));
            // Both frames are in a's buffer now; the socket itself has no more bytes.
            Assert.Equal(1, a.Receive<int>());
            Assert.False(Plexus.Native.Descriptors.WaitReadable(a.Fd, 0));
            Assert.Equal(new object[] { a }, Connection.Wait([a], TimeSpan.Zero));
            Assert.Equal(2, a.Receive<int>());
            Assert.Empty(Connection.Wait([a], TimeSpan.Zero));
        }
    }

    [Fact]
    public void Wait_ends_on_cancellation_and_refuses_what_it_cannot_wait_on()
    {
        (Connection a, Connection b) = ProcessPipe.Create(duplex: false);
        using (a)
        using (b)
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            Assert.ThrowsAny<OperationCanceledException>(() => Connection.Wait([a], s_long, cancel.Token));
            Assert.Throws<InvalidOperationException>(() => Connection.Wait([b], TimeSpan.Zero));
            Assert.Throws<ArgumentException>(() => Connection.Wait([a, "not waitable"], TimeSpan.Zero));
            Assert.Throws<InvalidOperationException>(() => Connection.Wait([ChildProcess.Create(Nothing)], TimeSpan.Zero));
            a.Dispose();
            Assert.Throws<ObjectDisposedException>(() => Connection.Wait([a], TimeSpan.Zero));
        }
    }

    [Fact]
    public void The_sentinel_of_a_child_joined_already_is_ready_and_closes_with_the_child()
    {
        ChildProcess child = ChildProcess.Create(Nothing).Start();
        Assert.True(child.Join(s_long));
        Assert.Equal(new object[] { child }, Connection.Wait([child], TimeSpan.Zero));
        int fd = child.Sentinel;
        Assert.True(Plexus.Native.Descriptors.WaitReadable(fd, 0));
        child.Dispose();
        Assert.Throws<ObjectDisposedException>(() => child.Sentinel);
    }

    [Fact]
    public void ActiveChildren_lists_a_running_child_then_drops_and_joins_it_once_it_ended()
    {
        (Connection order, Connection theirs) = ProcessPipe.Create();
        using (order)
        using (ChildProcess child = ChildProcess.Create(Obey, theirs).Start())
        {
            Assert.Contains(child, ChildProcess.ActiveChildren());
            order.Send("exit");
            Assert.Equal(new object[] { child }, Connection.Wait([child], s_long));
            Assert.Null(child.ExitCode); // ended, not joined yet
            Assert.DoesNotContain(child, ChildProcess.ActiveChildren());
            Assert.Equal(0, child.ExitCode); // joined on the way, as Python's active_children() does
        }
    }
}
