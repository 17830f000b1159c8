// A program as a user of the Plexus packages writes it; the package tests build it from a local feed.
using System.Net;
using Plexus.IO;
using Plexus.Processes;

// A child process and a pipe; the parent closes its copy of the child's end right after Start.
(Connection mine, Connection theirs) = ProcessPipe.Create();
using (ChildProcess child = ChildProcess.Create(Work.Reply, theirs, 21).Start())
{
    theirs.Close();
    Console.WriteLine($"pipe: {mine.Receive<int>()}");
    child.Join();
    Console.WriteLine($"child exit: {child.ExitCode}");
}

// A pool: a map, a map where one task kills its worker, and the pool going on after it.
using (var pool = new ProcessPool(2))
{
    Console.WriteLine("map: " + string.Join(",", pool.Map(Work.Square, new[] { 1, 2, 3, 4 })));
    try
    {
        pool.Map(Work.CrashOnThree, new[] { 1, 2, 3, 4 });
        Console.WriteLine("crash: not reported");
    }
    catch (ProcessPoolWorkerDiedException)
    {
        Console.WriteLine("crash: reported");
    }
    Console.WriteLine($"after crash: {pool.Apply(Work.Square, 5)}");
}

// A queue filled by two children, each taking a lock to count.
using (var queue = new ProcessQueue<int>())
using (var gate = new ProcessLock())
using (var counter = new ProcessValue<int>(0))
{
    var producers = Enumerable.Range(0, 2).Select(i => ChildProcess.Create(Work.Produce, queue, gate, counter).Start()).ToList();
    int sum = 0;
    for (int i = 0; i < 200; i++)
    {
        sum += queue.Get();
    }
    producers.ForEach(p => { p.Join(); p.Dispose(); });
    Console.WriteLine($"queue: {sum}, counted: {counter.Value}");
}

// An echo on the event loop.
using (var loop = new EventLoop())
using (LoopSocket listener = LoopSocket.Listen(new IPEndPoint(IPAddress.Loopback, 0)))
{
    string echoed = loop.RunUntilComplete(async () =>
    {
        Task server = Work.EchoOnce(loop, listener);
        using LoopSocket client = LoopSocket.CreateTcp();
        await loop.ConnectAsync(client, listener.LocalEndPoint);
        await loop.SendAllAsync(client, "hello loop"u8.ToArray());
        byte[] buffer = new byte[64];
        int n = await loop.ReceiveAsync(client, buffer);
        await server;
        return System.Text.Encoding.ASCII.GetString(buffer, 0, n);
    });
    Console.WriteLine($"echo: {echoed}");
}

internal static class Work
{
    public static void Reply(Connection conn, int n) => conn.Send(n * 2);

    public static int Square(int x) => x * x;

    public static int CrashOnThree(int x)
    {
        if (x == 3)
        {
            Environment.Exit(3);
        }
        return x;
    }

    public static void Produce(ProcessQueue<int> queue, ProcessLock gate, ProcessValue<int> counter)
    {
        for (int i = 1; i <= 100; i++)
        {
            using (gate.Acquire())
            {
                counter.Value++;
            }
            queue.Put(i);
        }
    }

    public static async Task EchoOnce(EventLoop loop, LoopSocket listener)
    {
        using LoopSocket peer = await loop.AcceptAsync(listener);
        byte[] buffer = new byte[64];
        int n = await loop.ReceiveAsync(peer, buffer);
        await loop.SendAllAsync(peer, buffer.AsMemory(0, n));
    }
}
