using System.Net;
using System.Net.Sockets;

namespace Plexus.Processes.Tests;

public class SharedSocketTests
{
    [Fact]
    public void A_moved_socket_is_served_by_the_child_and_closed_in_the_parent()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        Socket accepted = listener.Accept();
        var shared = new SharedSocket(accepted);

        using ChildProcess child = ChildProcess.Create(EchoOnce, shared).Start();

        client.Send("ping"u8);
        byte[] reply = new byte[16];
        int got = 0;
        while (got < 9)
        {
            int n = client.Receive(reply.AsSpan(got));
            Assert.NotEqual(0, n);
            got += n;
        }
        Assert.Equal("echo:ping", System.Text.Encoding.ASCII.GetString(reply, 0, got));
        Assert.True(child.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, child.ExitCode);
        InvalidOperationException moved = Assert.Throws<InvalidOperationException>(() => shared.Take());
        Assert.Contains("handed to", moved.Message, StringComparison.Ordinal);
        // The child closed the only copy: the client sees EOF, not a hang.
        Assert.Equal(0, client.Receive(reply));
    }

    [Fact]
    public void A_socket_is_taken_once()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var shared = new SharedSocket(socket);
        Assert.Same(socket, shared.Take());
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => shared.Take());
        Assert.Contains("already taken", e.Message, StringComparison.Ordinal);
    }

    private static void EchoOnce(SharedSocket shared)
    {
        using Socket socket = shared.Take();
        byte[] buffer = new byte[4];
        int got = 0;
        while (got < 4)
        {
            got += socket.Receive(buffer.AsSpan(got));
        }
        socket.Send([.. "echo:"u8, .. buffer]);
    }
}
