using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Plexus.IO;
using Plexus.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// The echo on Plexus.IO's stream layer, as asyncio code is usually written: <c>start_server</c>
/// with a handler that reads what is there, writes it back and drains
/// (<see cref="EventLoop.StartServerAsync"/>, <see cref="LoopStreamReader.ReadAsync"/>,
/// <see cref="LoopStreamWriter.Write"/>, <see cref="LoopStreamWriter.DrainAsync"/>). Beside
/// <c>coroutines</c> (the same loop driven with raw socket calls) it measures what the streams cost.
/// </summary>
internal sealed class StreamsModel : ServerModel
{
    private const PosixSignal SigUsr1 = (PosixSignal)10;

    public override void Run(ServeOptions options, ServerStats stats, Action<string> log, Action ready, CancellationToken stop)
    {
        using var loop = new EventLoop();
        LoopServer server;
        try
        {
            server = loop.RunUntilComplete(() => loop.StartServerAsync((reader, writer) => EchoAsync(reader, writer, stats), new IPEndPoint(options.Host, options.Port)));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new LabException($"port {options.Port} on {options.Host} is already in use; stop the other server or pick another --port", Errnos.EADDRINUSE);
        }
        loop.ExceptionHandler = (_, context) => log($"{context.Message}: {context.Exception.Message}");
        using CancellationTokenRegistration stopping = stop.Register(() => loop.CallSoonThreadSafe(loop.Stop));
        // For the streams benchmark: the whole process's allocations since ready, on SIGUSR1 (a
        // snapshot once the load is connected) and at the stop; the difference is the steady state.
        long allocatedAtReady = GC.GetTotalAllocatedBytes(precise: true);
        void LogAllocated() => log($"allocated {GC.GetTotalAllocatedBytes(precise: true) - allocatedAtReady} bytes since ready");
        loop.AddSignalHandler(SigUsr1, LogAllocated);
        ready();
        loop.RunForever();
        LogAllocated();
        server.Close();
        // Disposing the loop (by `using`) cancels every handler still reading and closes its connection.
    }

    private static async Task EchoAsync(LoopStreamReader reader, LoopStreamWriter writer, ServerStats stats)
    {
        stats.AddConnection();
        byte[] buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await reader.ReadAsync(buffer)) > 0)
            {
                stats.AddBytes(n);
                writer.Write(buffer.AsSpan(0, n));
                await writer.DrainAsync();
            }
        }
        catch (Exception e) when (e is SocketException or ErrnoException)
        {
            // The peer reset the connection: it ends here; the server closes it.
        }
    }
}
