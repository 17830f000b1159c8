using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Plexus.IO;

namespace Plexus.Samples;

/// <summary>
/// Not a tutorial example: a line-based chat server on Plexus.IO's streams. Every line a client sends
/// goes to every other client as <c>clientN: text</c>. A client silent for <c>--idle</c> seconds is
/// told so and disconnected. SIGTERM or SIGINT stops accepting, tells every client the server is
/// shutting down, waits for the handlers to finish and exits 0.
/// Usage: <c>s20 [--port 9998] [--idle 60]</c>; try it with <c>nc 127.0.0.1 9998</c> in two terminals.
/// </summary>
internal static class S20
{
    /// <summary>A client whose unsent backlog is above this is too slow: lines for it are dropped rather than buffered without bound.</summary>
    private const int SlowClientBacklog = 1 << 20;

    public static int Run(string[] args)
    {
        int port = Option(args, "--port", 9998);
        TimeSpan idle = TimeSpan.FromSeconds(Option(args, "--idle", 60));
        using var loop = new EventLoop();
        var clients = new Dictionary<LoopStreamWriter, string>();
        using var shuttingDown = new CancellationTokenSource();
        int served = 0;

        void Broadcast(LoopStreamWriter? from, string text)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            foreach (LoopStreamWriter to in clients.Keys)
            {
                if (to == from || to.BufferedCount >= SlowClientBacklog)
                {
                    continue;
                }
                try
                {
                    to.Write(bytes);
                }
                catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
                {
                    // That client is gone (reset); its own handler sees it on its next read and leaves.
                }
            }
        }

        async Task ChatAsync(LoopStreamReader reader, LoopStreamWriter writer)
        {
            string name = $"client{++served}";
            clients[writer] = name;
            writer.Write(Encoding.UTF8.GetBytes($"welcome, {name}\n"));
            Broadcast(writer, $"* {name} joined\n");
            using LoopTimeout deadline = loop.Timeout(idle, shuttingDown.Token);
            try
            {
                while (true)
                {
                    ReadOnlyMemory<byte> line = await reader.ReadLineAsync(deadline.Token);
                    if (line.IsEmpty)
                    {
                        return; // the client closed
                    }
                    deadline.Reschedule(idle);
                    string text = Encoding.UTF8.GetString(line.Span).TrimEnd('\r', '\n');
                    Broadcast(writer, $"{name}: {text}\n");
                }
            }
            catch (OperationCanceledException)
            {
                writer.Write(Encoding.UTF8.GetBytes(deadline.Expired ? $"idle for {idle.TotalSeconds:0} s, bye\n" : "server shutting down, bye\n"));
            }
            catch (System.Net.Sockets.SocketException)
            {
                // The client reset the connection: it left.
            }
            catch (StreamLimitExceededException)
            {
                writer.Write("line too long, bye\n"u8);
            }
            finally
            {
                clients.Remove(writer);
                Broadcast(writer, $"* {name} left\n");
                // The server flushes and closes the connection when this handler returns.
            }
        }

        loop.RunUntilComplete(async () =>
        {
            await using LoopServer server = await loop.StartServerAsync(ChatAsync, new IPEndPoint(IPAddress.Loopback, port));
            var stop = new TaskCompletionSource<string>();
            loop.AddSignalHandler(PosixSignal.SIGTERM, () => stop.TrySetResult("SIGTERM"));
            loop.AddSignalHandler(PosixSignal.SIGINT, () => stop.TrySetResult("SIGINT"));
            Console.WriteLine($"chat server listening on {server.LocalEndPoint}");
            Console.Out.Flush();
            string signal = await stop.Task;
            Console.WriteLine($"{signal}: closing {clients.Count} connections");
            server.Close();
            shuttingDown.Cancel(); // every handler's read ends; each says goodbye and returns
            await server.WaitClosedAsync();
        });
        Console.WriteLine($"chat server stopped: served {served} clients");
        return 0;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
