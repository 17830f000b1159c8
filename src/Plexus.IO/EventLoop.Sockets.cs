using System.Net;

namespace Plexus.IO;

public sealed partial class EventLoop
{
    private static readonly Action<object?> s_onReadable = static s => OnReadable((LoopSocket)s!);
    private static readonly Action<object?> s_onWritable = static s => OnWritable((LoopSocket)s!);

    /// <summary>Accepts a connection on a listening socket (Python's <c>loop.sock_accept</c>); the new socket is non-blocking.</summary>
    public ValueTask<LoopSocket> AcceptAsync(LoopSocket listener)
    {
        SocketOperation op = BeginRead(listener, nameof(AcceptAsync));
        op.StartAccept();
        return new ValueTask<LoopSocket>(op.TryComplete() ? op : WaitRead(listener, op), op.Version);
    }

    /// <summary>
    /// Receives up to <paramref name="buffer"/>.Length bytes (Python's <c>loop.sock_recv_into</c>);
    /// 0 means the peer closed its side. A reset connection throws <see cref="System.Net.Sockets.SocketException"/>
    /// (<see cref="System.Net.Sockets.SocketError.ConnectionReset"/>).
    /// </summary>
    public ValueTask<int> ReceiveAsync(LoopSocket socket, Memory<byte> buffer)
    {
        SocketOperation op = BeginRead(socket, nameof(ReceiveAsync));
        op.StartReceive(buffer);
        // When read interest is still registered on a level-triggered selector, the selector will
        // report any data already there, so the speculative recv (usually EAGAIN in a
        // request/response exchange) is skipped: one system call fewer per message.
        if (socket.ReadWatched && _levelTriggered)
        {
            return new ValueTask<int>(op, op.Version);
        }
        return new ValueTask<int>(op.TryComplete() ? op : WaitRead(socket, op), op.Version);
    }

    /// <summary>Sends all of <paramref name="data"/>, waiting for buffer space as often as needed (Python's <c>loop.sock_sendall</c>).</summary>
    public ValueTask SendAllAsync(LoopSocket socket, ReadOnlyMemory<byte> data)
    {
        SocketOperation op = BeginWrite(socket, nameof(SendAllAsync));
        op.StartSend(data);
        return new ValueTask(op.TryComplete() ? op : WaitWrite(socket, op), op.Version);
    }

    /// <summary>Connects to <paramref name="remote"/> without blocking the loop (Python's <c>loop.sock_connect</c>).</summary>
    public ValueTask ConnectAsync(LoopSocket socket, IPEndPoint remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        SocketOperation op = BeginWrite(socket, nameof(ConnectAsync));
        return new ValueTask(op.StartConnect(remote) ? op : WaitWrite(socket, op), op.Version);
    }

    /// <summary>Completes after <paramref name="delay"/> on the loop (Python's <c>asyncio.sleep</c>).</summary>
    public Task Sleep(TimeSpan delay)
    {
        var done = new TaskCompletionSource();
        CallLater(delay, static s => ((TaskCompletionSource)s!).TrySetResult(), done);
        return done.Task;
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
