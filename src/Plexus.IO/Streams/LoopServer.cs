using System.Net;
using System.Net.Sockets;
using Plexus.Native;

namespace Plexus.IO;

/// <summary>
/// A listening socket whose connections each run a handler with a reader and a writer (Python's
/// <c>asyncio.Server</c> from <c>start_server</c>), made by <see cref="EventLoop.StartServerAsync"/>.
/// When a handler returns, its writer flushes and closes the connection; a handler's exception goes
/// to the loop's <see cref="EventLoop.ExceptionHandler"/>. Running out of descriptors does not stop it:
/// it reports the shortage, pauses accepting briefly and retries. Use it on the loop's thread.
/// </summary>
public sealed class LoopServer : IAsyncDisposable
{
    /// <summary>How long accepting pauses when the process is out of descriptors (asyncio waits 1 s).</summary>
    private static readonly TimeSpan s_acceptRetryDelay = TimeSpan.FromMilliseconds(100);

    private const int ENOMEM = 12;
    private const int ENOBUFS = 105;

    private readonly EventLoop _loop;
    private readonly LoopSocket _listener;
    private readonly Func<LoopStreamReader, LoopStreamWriter, Task> _handler;
    private readonly int _limit;
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _accepting;
    private int _connections;
    private TaskCompletionSource? _idle;

    internal LoopServer(EventLoop loop, LoopSocket listener, Func<LoopStreamReader, LoopStreamWriter, Task> handler, int limit)
    {
        _loop = loop;
        _listener = listener;
        _handler = handler;
        _limit = limit;
        LocalEndPoint = listener.LocalAddress;
        _accepting = AcceptAsync();
    }

    /// <summary>Where the server listens (with the port the kernel chose for port 0).</summary>
    public EndPoint LocalEndPoint { get; }

    /// <summary>True until <see cref="Close"/>.</summary>
    public bool IsServing => !_closing.IsCancellationRequested;

    /// <summary>How many connections are being handled now.</summary>
    public int ConnectionCount => _connections;

    /// <summary>Stops accepting and closes the listening socket (Python's <c>Server.close</c>); connections being handled go on.</summary>
    public void Close()
    {
        if (_closing.IsCancellationRequested)
        {
            return;
        }
        _closing.Cancel();
    }

    /// <summary>Waits until the server is closed and every connection handler has finished (Python's <c>wait_closed</c>).</summary>
    public async Task WaitClosedAsync()
    {
        await _accepting.ConfigureAwait(true);
        if (_connections > 0)
        {
            _idle ??= new TaskCompletionSource();
            await _idle.Task.ConfigureAwait(true);
        }
    }

    /// <summary>Closes the server and waits for its handlers.</summary>
    public async ValueTask DisposeAsync()
    {
        Close();
        await WaitClosedAsync().ConfigureAwait(true);
    }

    private async Task AcceptAsync()
    {
        bool reportedShortage = false;
        try
        {
            while (true)
            {
                LoopSocket connection;
                try
                {
                    connection = await _loop.AcceptAsync(_listener, _closing.Token).ConfigureAwait(true);
                }
                catch (ErrnoException e) when (e.Errno is Errnos.EMFILE or Errnos.ENFILE or ENOBUFS or ENOMEM)
                {
                    // Out of descriptors or memory: the connection waits in the backlog. As asyncio does,
                    // say so (once per shortage), pause accepting and retry; closes elsewhere free descriptors.
                    if (!reportedShortage)
                    {
                        reportedShortage = true;
                        _loop.CallExceptionHandler(new LoopExceptionContext(
                            $"the server on {LocalEndPoint} cannot accept ({e.Message}); retrying every {s_acceptRetryDelay.TotalMilliseconds:0} ms until descriptors are freed (raise the limit with FileDescriptorLimit.Raise)", e));
                    }
                    await _loop.Sleep(s_acceptRetryDelay, _closing.Token).ConfigureAwait(true);
                    continue;
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
                {
                    continue; // that connection was gone before it was accepted
                }
                reportedShortage = false;
                _ = HandleAsync(connection);
            }
        }
        catch (OperationCanceledException)
        {
            // Close was called, or the loop is closing and cancelled the accept.
        }
        catch (Exception e)
        {
            _loop.CallExceptionHandler(new LoopExceptionContext($"the server on {LocalEndPoint} stopped accepting", e));
        }
        finally
        {
            _closing.Cancel();
            _listener.Dispose();
        }
    }

    /// <summary>Never throws: a handler's failure goes to the loop's exception handler.</summary>
    private async Task HandleAsync(LoopSocket connection)
    {
        _connections++;
        var reader = new LoopStreamReader(_loop, connection, _limit);
        var writer = new LoopStreamWriter(_loop, connection);
        try
        {
            await _handler(reader, writer).ConfigureAwait(true);
        }
        catch (OperationCanceledException)
        {
            // The loop is closing (or the handler gave up on its own token): not a failure to report.
        }
        catch (Exception e)
        {
            _loop.CallExceptionHandler(new LoopExceptionContext($"a connection handler of the server on {LocalEndPoint} failed", e));
        }
        finally
        {
            await writer.DisposeAsync().ConfigureAwait(true);
            reader.Dispose();
            if (--_connections == 0 && _idle is { } idle)
            {
                _idle = null;
                idle.TrySetResult();
            }
        }
    }
}
