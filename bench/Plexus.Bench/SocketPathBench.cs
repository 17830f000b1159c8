using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Plexus.IO;

namespace Plexus.Bench;

/// <summary>
/// The choice behind <see cref="LoopSocket"/>: a send and a receive that never wait, on a raw
/// descriptor through libc (<c>loop.SendAllAsync/ReceiveAsync</c>, completing synchronously) vs
/// the same calls on a non-blocking <see cref="Socket"/> (<c>Send/Receive(..., out SocketError)</c>).
/// Run: <c>dotnet run -c Release --project bench/Plexus.Bench -- socketpath [iterations]</c>.
/// </summary>
public static class SocketPathBench
{
    public static int Run(string[] args)
    {
        int iterations = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 300_000;
        Raw(20_000);
        Managed(20_000);
        double raw = Raw(iterations);
        double managed = Managed(iterations);
        Console.WriteLine($"send 16 B + receive 16 B over loopback TCP, no waiting, {iterations:N0} pairs");
        Console.WriteLine($"LoopSocket (libc send/recv via the loop): {raw,8:F0} ns per pair");
        Console.WriteLine($"Socket non-blocking Send/Receive:         {managed,8:F0} ns per pair");
        Console.WriteLine($"ratio Socket / LoopSocket: {managed / raw:F2}x");
        return 0;
    }

    private static double Raw(int iterations)
    {
        using var loop = new EventLoop();
        using LoopSocket listener = LoopSocket.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        return loop.RunUntilComplete(async () =>
        {
            using LoopSocket a = LoopSocket.CreateTcp();
            await loop.ConnectAsync(a, listener.LocalEndPoint);
            using LoopSocket b = await loop.AcceptAsync(listener);
            a.NoDelay = true;
            byte[] message = new byte[16];
            byte[] back = new byte[16];
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < iterations; i++)
            {
                await loop.SendAllAsync(a, message);
                int got = 0;
                while (got < back.Length)
                {
                    got += await loop.ReceiveAsync(b, back.AsMemory(got));
                }
            }
            return watch.Elapsed.TotalMilliseconds * 1e6 / iterations;
        });
    }

    private static double Managed(int iterations)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var a = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        a.Connect(listener.LocalEndPoint!);
        using Socket b = listener.Accept();
        a.Blocking = false;
        b.Blocking = false;
        byte[] message = new byte[16];
        byte[] back = new byte[16];
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            a.Send(message, 0, message.Length, SocketFlags.None, out SocketError error);
            int got = 0;
            while (got < back.Length)
            {
                int n = b.Receive(back, got, back.Length - got, SocketFlags.None, out error);
                if (error == SocketError.Success)
                {
                    got += n;
                }
            }
        }
        return watch.Elapsed.TotalMilliseconds * 1e6 / iterations;
    }
}
