using System.Net;
using System.Net.Sockets;
using Plexus.IO;
using Plexus.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// Coroutines on an event loop (the tutorial's title): Plexus.IO's <see cref="EventLoop"/> over
/// epoll, with each connection written as straight-line <c>async</c>/<c>await</c> code, as with
/// Python's asyncio (<c>loop.sock_accept</c>, <c>sock_recv_into</c>, <c>sock_sendall</c>).
/// Continuations run on the loop thread, so there is no thread hand-off per message.
/// </summary>
internal sealed class CoroutinesModel : ServerModel
{
    private readonly HashSet<LoopSocket> _open = [];

    public override void Run(ServeOptions options, ServerStats stats, Action<string> log, Action ready, CancellationToken stop)
    {
        LoopSocket listener;
        try
        {
            listener = LoopSocket.Listen(new IPEndPoint(options.Host, options.Port));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new LabException($"port {options.Port} on {options.Host} is already in use; stop the other server or pick another --port", Errnos.EADDRINUSE);
        }
        using (listener)
        using (var loop = new EventLoop())
        {
            using CancellationTokenRegistration stopping = stop.Register(() => loop.CallSoonThreadSafe(loop.Stop));
            loop.CallSoon(() => _ = AcceptLoopAsync(loop, listener, stats));
            ready();
            loop.RunForever();
            foreach (LoopSocket socket in _open)
            {
                socket.Dispose();
            }
        }
    }

    private async Task AcceptLoopAsync(EventLoop loop, LoopSocket listener, ServerStats stats)
    {
        while (!listener.IsDisposed)
        {
            LoopSocket connection;
            try
            {
                connection = await loop.AcceptAsync(listener);
            }
            catch (ErrnoException e) when (e.Errno is Errnos.EMFILE or Errnos.ENFILE)
            {
                // Out of descriptors: wait on the loop (not on the thread) for closes to free some.
                Accepting.WarnOutOfDescriptors();
                await loop.Sleep(TimeSpan.FromMilliseconds(10));
                continue;
            }
            catch (Exception e) when (e is ErrnoException or SocketException)
            {
                continue; // ECONNABORTED and the like: that connection is gone
            }
            stats.AddConnection();
            _open.Add(connection);
            _ = EchoAsync(loop, connection, stats);
        }
    }

    private async Task EchoAsync(EventLoop loop, LoopSocket socket, ServerStats stats)
    {
        byte[] buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = await loop.ReceiveAsync(socket, buffer);
                if (n == 0)
                {
                    return;
                }
                stats.AddBytes(n);
                await loop.SendAllAsync(socket, buffer.AsMemory(0, n)); // partial sends handled inside
            }
        }
        catch (Exception e) when (e is SocketException or ErrnoException or ObjectDisposedException)
        {
            // Peer reset, or the server is stopping: this connection ends here.
        }
        finally
        {
            _open.Remove(socket);
            socket.Dispose();
        }
    }
}
