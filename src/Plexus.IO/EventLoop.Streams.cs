using System.Net;

namespace Plexus.IO;

public sealed partial class EventLoop
{
    /// <summary>
    /// Listens on <paramref name="endPoint"/> and runs <paramref name="handler"/> on the loop for each
    /// connection with its reader and writer (Python's <c>asyncio.start_server</c>). Port 0 picks a
    /// free port; read it from <see cref="LoopServer.LocalEndPoint"/>.
    /// </summary>
    /// <param name="handler">Handles one connection; when it returns the connection is flushed and closed.</param>
    /// <param name="endPoint">An <see cref="IPEndPoint"/> (IPv4 or IPv6) or a <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>.</param>
    /// <param name="limit">Each reader's <see cref="LoopStreamReader.Limit"/>.</param>
    /// <param name="backlog">The listen backlog.</param>
    public Task<LoopServer> StartServerAsync(Func<LoopStreamReader, LoopStreamWriter, Task> handler, EndPoint endPoint,
        int limit = LoopStreamReader.DefaultLimit, int backlog = 4096)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(endPoint);
        CheckThread(nameof(StartServerAsync));
        LoopSocket listener = LoopSocket.Listen(endPoint, backlog);
        return Task.FromResult(new LoopServer(this, listener, handler, limit));
    }

    /// <summary>
    /// Connects to <paramref name="endPoint"/> and returns the connection's reader and writer (Python's
    /// <c>asyncio.open_connection</c>). Dispose the writer to close the connection, the reader to return its buffer.
    /// </summary>
    public async Task<(LoopStreamReader Reader, LoopStreamWriter Writer)> OpenConnectionAsync(EndPoint endPoint,
        int limit = LoopStreamReader.DefaultLimit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        LoopSocket socket = LoopSocket.Create(endPoint);
        try
        {
            await ConnectAsync(socket, endPoint, cancellationToken).ConfigureAwait(true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return (new LoopStreamReader(this, socket, limit), new LoopStreamWriter(this, socket));
    }
}
