using System.Net.Sockets;
using Plexus.Lab.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// The baseline a C# developer would write: .NET's own async sockets, a task per connection.
/// Underneath, .NET registers each socket edge-triggered with its own epoll thread, which hands
/// completions to the thread pool.
/// </summary>
internal sealed class DotnetAsyncModel : ServerModel
{
    public override void Run(ServeOptions options, ServerStats stats, Action<string> log, Action ready, CancellationToken stop)
    {
        // The listener comes from the same raw call as every model so "port in use" reads the same.
        using var listener = new Socket(new SafeSocketHandle(Sys.Listen(options.Host, options.Port, reusePort: false), ownsHandle: true));
        ready();
        var connections = new List<Task>();
        var sockets = new HashSet<Socket>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = listener.AcceptAsync(stop).AsTask().GetAwaiter().GetResult();
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                catch (SocketException)
                {
                    continue;
                }
                stats.AddConnection();
                lock (sockets)
                {
                    sockets.Add(client);
                    connections.RemoveAll(t => t.IsCompleted);
                    connections.Add(Task.Run(() => EchoAsync(client, stats, sockets), CancellationToken.None));
                }
            }
        }
        finally
        {
            Task[] running;
            lock (sockets)
            {
                foreach (Socket s in sockets)
                {
                    s.Dispose();
                }
                running = [.. connections];
            }
            Task.WaitAll(running, TimeSpan.FromSeconds(5));
        }
    }

    private static async Task EchoAsync(Socket socket, ServerStats stats, HashSet<Socket> sockets)
    {
        byte[] buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None);
                if (n == 0)
                {
                    break;
                }
                stats.AddBytes(n);
                // SendAsync completes only when every byte is queued: partial sends are handled inside.
                await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }
        }
        catch (SocketException)
        {
            // A reset peer ends this connection only.
        }
        catch (ObjectDisposedException)
        {
            // Shut down while waiting.
        }
        finally
        {
            lock (sockets)
            {
                sockets.Remove(socket);
            }
            socket.Dispose();
        }
    }
}
