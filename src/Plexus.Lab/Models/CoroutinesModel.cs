using Plexus.Lab.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// Coroutines on an event loop (the tutorial's title): the epoll reactor underneath, but each
/// connection is written as straight-line <c>async</c>/<c>await</c> code, as with Python's asyncio.
/// The await is resumed inline by the loop thread, so the layer costs one state-machine step.
/// </summary>
internal sealed class CoroutinesModel : ServerModel
{
    public override void Run(ServeOptions options, ServerStats stats, Action<string> log, Action ready, CancellationToken stop)
    {
        int listenerFd = Sys.Listen(options.Host, options.Port, reusePort: false);
        using var loop = new CoroutineLoop();
        LoopSocket listener = loop.Register(listenerFd);
        _ = AcceptLoopAsync(loop, listener, stats);
        ready();
        loop.Run(stop);
    }

    private static async Task AcceptLoopAsync(CoroutineLoop loop, LoopSocket listener, ServerStats stats)
    {
        while (listener.Fd >= 0)
        {
            int fd = await listener.AcceptAsync();
            if (fd < 0)
            {
                continue; // ECONNABORTED and the like; out of descriptors waits inside AcceptAsync
            }
            stats.AddConnection();
            _ = EchoAsync(loop.Register(fd), stats);
        }
    }

    private static async Task EchoAsync(LoopSocket socket, ServerStats stats)
    {
        byte[] buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = await socket.ReadAsync(buffer);
                if (n <= 0)
                {
                    return; // EOF or reset
                }
                stats.AddBytes(n);
                for (int sent = 0; sent < n;)
                {
                    int w = await socket.WriteAsync(buffer.AsMemory(sent, n - sent));
                    if (w < 0)
                    {
                        return;
                    }
                    sent += w;
                }
            }
        }
        finally
        {
            socket.Close();
        }
    }
}
