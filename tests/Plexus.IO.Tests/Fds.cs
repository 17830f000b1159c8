using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Plexus.Native;

namespace Plexus.IO.Tests;

/// <summary>Descriptor helpers shared by the tests: non-blocking socket pairs, raw reads and writes.</summary>
internal static unsafe class Fds
{
    /// <summary>A connected, non-blocking Unix stream socket pair.</summary>
    public static (SafeFd A, SafeFd B) Pair()
    {
        int* sv = stackalloc int[2];
        LibC.Check(LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0, sv), "socketpair");
        return (new SafeFd(sv[0]), new SafeFd(sv[1]));
    }

    public static void Write(SafeFd fd, int count = 1)
    {
        byte* buf = stackalloc byte[count];
        new Span<byte>(buf, count).Fill(7);
        if ((int)LibC.write(fd.Fd, buf, count) != count)
        {
            throw new InvalidOperationException("short write to a test socket");
        }
    }

    /// <summary>Reads everything available; returns how many bytes.</summary>
    public static int Drain(SafeFd fd)
    {
        byte* buf = stackalloc byte[4096];
        int total = 0;
        while (true)
        {
            nint n = LibC.read(fd.Fd, buf, 4096);
            if (n <= 0)
            {
                return total;
            }
            total += (int)n;
        }
    }

    public static int ReadSome(SafeFd fd, int max)
    {
        byte* buf = stackalloc byte[max];
        nint n = LibC.read(fd.Fd, buf, max);
        return (int)n;
    }

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
        => new(LibC.Check(LibC.fcntl(fd.Fd, LibC.F_DUPFD, minimum), "fcntl(F_DUPFD)"));

    public static int LastErrno => Marshal.GetLastPInvokeError();
}
