using System.Net;
using System.Net.Sockets;
using Plexus.Native;

namespace Plexus.IO.Tests;

/// <summary>Descriptor helpers shared by the tests: non-blocking socket pairs, raw reads and writes.</summary>
internal static class Fds
{
    /// <summary>A connected, non-blocking Unix stream socket pair.</summary>
    public static (SafeFd A, SafeFd B) Pair()
    {
        (int a, int b) = SocketPair.Create(nonBlocking: true);
        return (new SafeFd(a), new SafeFd(b));
    }

    public static void Write(SafeFd fd, int count = 1)
    {
        Span<byte> buf = stackalloc byte[count];
        buf.Fill(7);
        if (Descriptors.WriteSome(fd.Fd, buf) != count)
        {
            throw new InvalidOperationException("short write to a test socket");
        }
    }

    /// <summary>Reads everything available; returns how many bytes.</summary>
    public static int Drain(SafeFd fd)
    {
        Span<byte> buf = stackalloc byte[4096];
        int total = 0;
        while (true)
        {
            int n = Descriptors.ReadSome(fd.Fd, buf);
            if (n <= 0)
            {
                return total;
            }
            total += n;
        }
    }

    /// <summary>Reads once: the byte count, 0 at end of stream, or the negated errno.</summary>
    public static int ReadSome(SafeFd fd, int max) => Descriptors.ReadSome(fd.Fd, stackalloc byte[max]);

    /// <summary>A connected TCP pair of .NET sockets on 127.0.0.1.</summary>
    public static (Socket Client, Socket Server) TcpPair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        Socket server = listener.Accept();
        client.Blocking = false;
        server.Blocking = false;
        return (client, server);
    }

    /// <summary>A free TCP port on 127.0.0.1 (bound to port 0, then released).</summary>
    public static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>Duplicates <paramref name="fd"/> to the lowest free number at or above <paramref name="minimum"/>.</summary>
    public static SafeFd DupAtLeast(SafeFd fd, int minimum)
        => new(Descriptors.DuplicateAtLeast(fd.Fd, minimum));
}
