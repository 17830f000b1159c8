using System.Net;

namespace Plexus.IO;

public sealed partial class EventLoop
{
    private static readonly Action<object?> s_onReadable = static s => OnReadable((LoopSocket)s!);
    private static readonly Action<object?> s_onWritable = static s => OnWritable((LoopSocket)s!);

    /// <summary>
    /// Accepts a connection on a listening socket (Python's <c>loop.sock_accept</c>); the new socket is
    /// non-blocking. Cancelling <paramref name="cancellationToken"/> while it waits fails it with
    /// <see cref="OperationCanceledException"/> and leaves the listener usable.
    /// </summary>
    public ValueTask<LoopSocket> AcceptAsync(LoopSocket listener, CancellationToken cancellationToken = default)
    {
        SocketOperation op = BeginRead(listener, nameof(AcceptAsync));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<LoopSocket>(cancellationToken);
        }
        op.StartAccept(cancellationToken);
        return new ValueTask<LoopSocket>(op.TryComplete() ? op : WaitRead(listener, op), op.Version);
    }

    /// <summary>
    /// Receives up to <paramref name="buffer"/>.Length bytes (Python's <c>loop.sock_recv_into</c>);
    /// 0 means the peer closed its side. A reset connection throws <see cref="System.Net.Sockets.SocketException"/>
    /// (<see cref="System.Net.Sockets.SocketError.ConnectionReset"/>). Cancelling
    /// <paramref name="cancellationToken"/> while it waits fails it with <see cref="OperationCanceledException"/>;
    /// no data is lost (none was read) and the next receive works.
    /// </summary>
    public ValueTask<int> ReceiveAsync(LoopSocket socket, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        SocketOperation op = BeginRead(socket, nameof(ReceiveAsync));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }
        op.StartReceive(buffer, cancellationToken);
        // When read interest is still registered on a level-triggered selector, the selector will
        // report any data already there, so the speculative recv (usually EAGAIN in a
        // request/response exchange) is skipped: one system call fewer per message.
        if (socket.ReadWatched && _levelTriggered)
        {
            op.WatchCancellation();
            return new ValueTask<int>(op, op.Version);
        }
        return new ValueTask<int>(op.TryComplete() ? op : WaitRead(socket, op), op.Version);
    }

    /// <summary>
    /// Sends all of <paramref name="data"/>, waiting for buffer space as often as needed (Python's
    /// <c>loop.sock_sendall</c>). Cancelled while it waits, it fails with
    /// <see cref="OperationCanceledException"/>; a prefix of <paramref name="data"/> may already have
    /// been sent, as with asyncio (the byte stream is then cut mid-message: close the connection
    /// unless the protocol can resynchronise).
    /// </summary>
    public ValueTask SendAllAsync(LoopSocket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        SocketOperation op = BeginWrite(socket, nameof(SendAllAsync));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }
        op.StartSend(data, cancellationToken);
        return new ValueTask(op.TryComplete() ? op : WaitWrite(socket, op), op.Version);
    }

    /// <summary>
    /// Connects to <paramref name="remote"/> without blocking the loop (Python's <c>loop.sock_connect</c>);
    /// <paramref name="remote"/> is of the socket's family (<see cref="IPEndPoint"/> or <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>).
    /// A cancelled connect goes on in the kernel; connecting again to the same endpoint waits for it.
    /// </summary>
    public ValueTask ConnectAsync(LoopSocket socket, EndPoint remote, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        SocketOperation op = BeginWrite(socket, nameof(ConnectAsync));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }
        return new ValueTask(op.StartConnect(remote, cancellationToken) ? op : WaitWrite(socket, op), op.Version);
    }

    private SocketOperation BeginRead(LoopSocket socket, string operation)
    {
        ArgumentNullException.ThrowIfNull(socket);
        CheckThread(operation);
        ObjectDisposedException.ThrowIf(socket.IsDisposed, socket);
        return socket.ReadOperation;
    }

    private SocketOperation BeginWrite(LoopSocket socket, string operation)
    {
        ArgumentNullException.ThrowIfNull(socket);
        CheckThread(operation);
        ObjectDisposedException.ThrowIf(socket.IsDisposed, socket);
        return socket.WriteOperation;
    }

    private SocketOperation WaitRead(LoopSocket socket, SocketOperation op)
    {
        // Read interest stays registered after a completion and is dropped only when readiness finds
        // no waiting operation, so a steady request/response stream costs no epoll_ctl calls.
        if (!socket.ReadWatched)
        {
            AttachTo(socket);
            AddReader(socket.Fd, s_onReadable, socket);
            socket.ReadWatched = true;
        }
        op.WatchCancellation();
        return op;
    }

    private SocketOperation WaitWrite(LoopSocket socket, SocketOperation op)
    {
        if (!socket.WriteWatched)
        {
            AttachTo(socket);
            AddWriter(socket.Fd, s_onWritable, socket);
            socket.WriteWatched = true;
        }
        op.WatchCancellation();
        return op;
    }

    private void AttachTo(LoopSocket socket)
    {
        if (socket.Loop is { } other && other != this && !other.IsClosed)
        {
            throw new InvalidOperationException($"{socket} is already used by another event loop");
        }
        socket.Loop = this;
    }

    private static void OnReadable(LoopSocket socket)
    {
        if (socket.IsDisposed)
        {
            return;
        }
        SocketOperation op = socket.ReadOperation;
        if (op.Kind == SocketOperation.OpKind.None)
        {
            socket.ReadWatched = false;
            socket.Loop!.RemoveReader(socket.Fd);
            return;
        }
        op.TryComplete();
    }

    private static void OnWritable(LoopSocket socket)
    {
        if (socket.IsDisposed)
        {
            return;
        }
        SocketOperation op = socket.WriteOperation;
        // Writes rarely wait, and an idle socket is always writable: drop interest as soon as the send is done.
        if (op.Kind == SocketOperation.OpKind.None || op.TryComplete())
        {
            if (!socket.IsDisposed && socket.WriteWatched && socket.WriteOperation.Kind == SocketOperation.OpKind.None)
            {
                socket.WriteWatched = false;
                socket.Loop!.RemoveWriter(socket.Fd);
            }
        }
    }
}
