using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Plexus.IO;

namespace Plexus.Bench;

/// <summary>
/// Ping-pong echo, in process over loopback: C connections each send 32 bytes and wait for them
/// to come back, as fast as they can, for a few seconds. Plexus runs the server on one event loop
/// thread and the clients on another; the baseline is the same program on .NET's own async
/// sockets (a task per connection on the thread pool, over .NET's epoll engine).
/// Run: <c>dotnet run -c Release --project bench/Plexus.Bench -- coroutineecho [connections] [seconds]</c>.
/// </summary>
public static class CoroutineEchoBench
{
    private const int MessageSize = 32;

    public static int Run(string[] args)
    {
        int connections = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 100;
        double seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
        Console.WriteLine($"echo ping-pong, {connections} connections x {MessageSize} bytes, {seconds:0.#} s each, loopback, {Environment.ProcessorCount} cores");

        // A short warm-up of each so that both are measured with tiered JIT settled.
        Plexus(connections, 0.5);
        DotNet(connections, 0.5);
        var (plexus, plexusCpu) = Measure(() => Plexus(connections, seconds));
        var (dotnet, dotnetCpu) = Measure(() => DotNet(connections, seconds));
        var (single, singleCpu) = Measure(() => PlexusOneLoop(connections, seconds));
        Console.WriteLine($"plexus loop (2 loop threads):   {plexus,12:N0} round trips/s  {plexusCpu,12:N0} round trips per CPU-second");
        Console.WriteLine($"plexus, server+clients 1 loop:  {single,12:N0} round trips/s  {singleCpu,12:N0} round trips per CPU-second");
        Console.WriteLine($".NET async sockets (pool):      {dotnet,12:N0} round trips/s  {dotnetCpu,12:N0} round trips per CPU-second");
        Console.WriteLine($"ratio plexus (2 loops) / .NET: {plexus / dotnet:F2}x throughput, {plexusCpu / dotnetCpu:F2}x per CPU-second");
        Console.WriteLine($"ratio plexus (1 loop) / .NET:  {single / dotnet:F2}x throughput, {singleCpu / dotnetCpu:F2}x per CPU-second");
        return 0;
    }

    /// <summary>
    /// Throughput, and throughput per CPU-second of this process: on a shared machine the second
    /// does not reward a design for having more threads to win scheduler time with.
    /// </summary>
    private static (double PerSecond, double PerCpuSecond) Measure(Func<(long RoundTrips, double Seconds)> run)
    {
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var (roundTrips, elapsed) = run();
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        return (roundTrips / elapsed, roundTrips / cpuSeconds);
    }

    private static (long RoundTrips, double Seconds) Plexus(int connections, double seconds)
    {
        using LoopSocket listener = LoopSocket.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        IPEndPoint endPoint = listener.LocalEndPoint;
        using var serverReady = new ManualResetEventSlim();
        EventLoop? serverLoop = null;
        var serverThread = new Thread(() =>
        {
            using var loop = new EventLoop();
            serverLoop = loop;
            loop.CallSoon(serverReady.Set);
            loop.RunUntilComplete(async () =>
            {
                var handlers = new List<Task>();
                for (int i = 0; i < connections; i++)
                {
                    LoopSocket conn = await loop.AcceptAsync(listener);
                    conn.NoDelay = true;
                    handlers.Add(EchoAsync(loop, conn));
                }
                await Task.WhenAll(handlers);
            });
        });
        serverThread.Start();
        serverReady.Wait();

        long roundTrips = 0;
        double elapsed = 0;
        using (var loop = new EventLoop())
        {
            loop.RunUntilComplete(async () =>
            {
                var sockets = new LoopSocket[connections];
                for (int i = 0; i < connections; i++)
                {
                    sockets[i] = LoopSocket.CreateTcp();
                    sockets[i].NoDelay = true;
                    await loop.ConnectAsync(sockets[i], endPoint);
                }
                var watch = Stopwatch.StartNew();
                long deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
                async Task ClientAsync(LoopSocket s)
                {
                    byte[] message = new byte[MessageSize];
                    byte[] back = new byte[MessageSize];
                    while (Stopwatch.GetTimestamp() < deadline)
                    {
                        await loop.SendAllAsync(s, message);
                        int got = 0;
                        while (got < MessageSize)
                        {
                            int n = await loop.ReceiveAsync(s, back.AsMemory(got));
                            if (n == 0)
                            {
                                throw new EndOfStreamException();
                            }
                            got += n;
                        }
                        roundTrips++;
                    }
                    s.ShutdownSend();
                }
                await Task.WhenAll(sockets.Select(ClientAsync));
                elapsed = watch.Elapsed.TotalSeconds;
                foreach (LoopSocket s in sockets)
                {
                    s.Dispose();
                }
            });
        }
        serverThread.Join();
        return (roundTrips, elapsed);
    }

    /// <summary>Server and clients as coroutines on one loop thread: no cross-thread wake-ups at all.</summary>
    private static (long RoundTrips, double Seconds) PlexusOneLoop(int connections, double seconds)
    {
        using LoopSocket listener = LoopSocket.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        IPEndPoint endPoint = listener.LocalEndPoint;
        long roundTrips = 0;
        double elapsed = 0;
        using var loop = new EventLoop();
        loop.RunUntilComplete(async () =>
        {
            var handlers = new List<Task>();
            async Task ServeAsync()
            {
                for (int i = 0; i < connections; i++)
                {
                    LoopSocket conn = await loop.AcceptAsync(listener);
                    conn.NoDelay = true;
                    handlers.Add(EchoAsync(loop, conn));
                }
            }
            Task server = ServeAsync();
            var sockets = new LoopSocket[connections];
            for (int i = 0; i < connections; i++)
            {
                sockets[i] = LoopSocket.CreateTcp();
                sockets[i].NoDelay = true;
                await loop.ConnectAsync(sockets[i], endPoint);
            }
            await server;
            var watch = Stopwatch.StartNew();
            long deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
            async Task ClientAsync(LoopSocket s)
            {
                byte[] message = new byte[MessageSize];
                byte[] back = new byte[MessageSize];
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    await loop.SendAllAsync(s, message);
                    int got = 0;
                    while (got < MessageSize)
                    {
                        got += await loop.ReceiveAsync(s, back.AsMemory(got));
                    }
                    roundTrips++;
                }
                s.ShutdownSend();
            }
            await Task.WhenAll(sockets.Select(ClientAsync));
            elapsed = watch.Elapsed.TotalSeconds;
            await Task.WhenAll(handlers);
            foreach (LoopSocket s in sockets)
            {
                s.Dispose();
            }
        });
        return (roundTrips, elapsed);
    }

    private static async Task EchoAsync(EventLoop loop, LoopSocket conn)
    {
        using (conn)
        {
            byte[] buffer = new byte[4096];
            int n;
            while ((n = await loop.ReceiveAsync(conn, buffer)) > 0)
            {
                await loop.SendAllAsync(conn, buffer.AsMemory(0, n));
            }
        }
    }

    private static (long RoundTrips, double Seconds) DotNet(int connections, double seconds)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4096);
        var endPoint = (IPEndPoint)listener.LocalEndPoint!;

        async Task ServeAsync()
        {
            var handlers = new List<Task>();
            for (int i = 0; i < connections; i++)
            {
                Socket conn = await listener.AcceptAsync();
                conn.NoDelay = true;
                handlers.Add(Task.Run(async () =>
                {
                    using (conn)
                    {
                        byte[] buffer = new byte[4096];
                        int n;
                        while ((n = await conn.ReceiveAsync(buffer.AsMemory(), SocketFlags.None)) > 0)
                        {
                            int sent = 0;
                            while (sent < n)
                            {
                                sent += await conn.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None);
                            }
                        }
                    }
                }));
            }
            await Task.WhenAll(handlers);
        }

        Task server = Task.Run(ServeAsync);
        long roundTrips = 0;
        var sockets = new Socket[connections];
        for (int i = 0; i < connections; i++)
        {
            sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            sockets[i].Connect(endPoint);
        }
        var watch = Stopwatch.StartNew();
        long deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        Task[] clients = sockets.Select(s => Task.Run(async () =>
        {
            byte[] message = new byte[MessageSize];
            byte[] back = new byte[MessageSize];
            long mine = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                int sent = 0;
                while (sent < MessageSize)
                {
                    sent += await s.SendAsync(message.AsMemory(sent), SocketFlags.None);
                }
                int got = 0;
                while (got < MessageSize)
                {
                    int n = await s.ReceiveAsync(back.AsMemory(got), SocketFlags.None);
                    if (n == 0)
                    {
                        throw new EndOfStreamException();
                    }
                    got += n;
                }
                mine++;
            }
            Interlocked.Add(ref roundTrips, mine);
            s.Shutdown(SocketShutdown.Send);
        })).ToArray();
        Task.WaitAll(clients);
        double elapsed = watch.Elapsed.TotalSeconds;
        server.Wait();
        foreach (Socket s in sockets)
        {
            s.Dispose();
        }
        return (roundTrips, elapsed);
    }
}
