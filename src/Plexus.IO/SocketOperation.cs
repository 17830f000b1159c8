using System.Net;
using System.Threading.Tasks.Sources;
using Plexus.Native;

namespace Plexus.IO;

/// <summary>
/// One direction of a <see cref="LoopSocket"/> (reads: receive and accept; writes: send and
/// connect) as a reusable awaitable: each operation tries its system call at once, and only on
/// <c>EAGAIN</c> waits for the loop to report readiness, then retries. The same object backs every
/// <see cref="ValueTask"/> of its direction, so steady-state I/O allocates nothing.
/// </summary>
/// <remarks>
/// Cancellation: an operation that waits with a cancellable token registers on it (the only
/// allocation, and only then). The registration may fire on any thread; it queues
/// <see cref="CancelIfRequested"/> on the loop, which fails the operation only if the operation then
/// waiting still carries a cancelled token, so a late callback never cancels a newer operation.
/// </remarks>
internal sealed unsafe class SocketOperation : IValueTaskSource<int>, IValueTaskSource<LoopSocket>, IValueTaskSource<LoopReceiveFromResult>, IValueTaskSource
{
    private readonly LoopSocket _socket;
    private ManualResetValueTaskSourceCore<int> _core;
    private Memory<byte> _buffer;
    private ReadOnlyMemory<byte> _data;
    private LoopSocket? _accepted;
    private SocketAddress? _address;
    private EndPoint? _from;
    private CancellationToken _token;
    private CancellationTokenRegistration _registration;

    private static readonly Action<object?> s_onCancelRequested = static s => ((SocketOperation)s!).OnCancelRequested();
    private static readonly Action<object?> s_cancelOnLoop = static s => ((SocketOperation)s!).CancelIfRequested();

    internal SocketOperation(LoopSocket socket)
    {
        _socket = socket;
        // Completions happen on the loop thread; the continuation runs right there, in order.
        _core.RunContinuationsAsynchronously = false;
    }

    internal enum OpKind
    {
        None,
        Receive,
        Accept,
        Send,
        Connect,
        ReceiveFrom,
        SendTo,
    }

    internal OpKind Kind { get; private set; }

    internal short Version => _core.Version;

    internal void StartReceive(Memory<byte> buffer, CancellationToken token)
    {
        Begin(OpKind.Receive, token);
        _buffer = buffer;
    }

    internal void StartReceiveFrom(Memory<byte> buffer, CancellationToken token)
    {
        Begin(OpKind.ReceiveFrom, token);
        _buffer = buffer;
    }

    internal void StartSendTo(ReadOnlyMemory<byte> datagram, SocketAddress address, CancellationToken token)
    {
        Begin(OpKind.SendTo, token);
        _data = datagram;
        _address = address;
    }

    internal void StartAccept(CancellationToken token) => Begin(OpKind.Accept, token);

    internal void StartSend(ReadOnlyMemory<byte> data, CancellationToken token)
    {
        Begin(OpKind.Send, token);
        _data = data;
    }

    /// <summary>Starts a non-blocking connect; true when it finished (either way) at once.</summary>
    internal bool StartConnect(EndPoint endPoint, CancellationToken token)
    {
        SocketAddress address = _socket.ToSocketAddress(endPoint);
        Begin(OpKind.Connect, token);
        {
            int result = Sockets.Connect(_socket.Fd, address.Buffer.Span[..address.Size]);
            if (result == 0)
            {
                Succeed(0);
                return true;
            }
            int errno = -result;
            // An interrupted or cancelled connect goes on in the kernel: EINTR and EALREADY (a connect
            // again after a cancelled one) wait for writability like EINPROGRESS; EISCONN means the
            // earlier attempt has since succeeded.
            if (errno is Errnos.EINPROGRESS or Errnos.EAGAIN or Errnos.EINTR or EALREADY)
            {
                return false;
            }
            if (errno == EISCONN)
            {
                Succeed(0);
                return true;
            }
            Fail(_socket.Error("connect", errno, endPoint.ToString()));
            return true;
        }
    }

    /// <summary>Retries the pending call; true when the operation completed (result or error).</summary>
    internal bool TryComplete()
    {
        switch (Kind)
        {
            case OpKind.Receive:
                return TryReceive();
            case OpKind.Accept:
                return TryAccept();
            case OpKind.Send:
                return TrySend();
            case OpKind.Connect:
                return TryFinishConnect();
            case OpKind.ReceiveFrom:
                return TryReceiveFrom();
            case OpKind.SendTo:
                return TrySendTo();
            default:
                return true;
        }
    }

    /// <summary>The operation has to wait for the loop: from now on its token may cancel it.</summary>
    internal void WatchCancellation()
    {
        if (_token.CanBeCanceled && _registration == default && Kind != OpKind.None)
        {
            _registration = _token.UnsafeRegister(s_onCancelRequested, this);
        }
    }

    /// <summary>Fails the waiting operation with <see cref="OperationCanceledException"/> if its token is cancelled; on the loop thread.</summary>
    internal void CancelIfRequested()
    {
        if (Kind != OpKind.None && _token.IsCancellationRequested)
        {
            Fail(new OperationCanceledException($"{Kind} on {_socket.Describe()} was cancelled", _token));
        }
    }

    /// <summary>The event loop is closing: a waiting operation is cancelled, as asyncio's <c>run</c> cancels what is left.</summary>
    internal void CancelForClose()
    {
        if (Kind != OpKind.None)
        {
            Fail(new OperationCanceledException($"{Kind} on {_socket.Describe()} was cancelled: its event loop closed"));
        }
    }

    /// <summary>The socket is closing: a waiting operation fails instead of hanging.</summary>
    internal void Abort()
    {
        if (Kind != OpKind.None)
        {
            Fail(new ObjectDisposedException(nameof(LoopSocket), "the socket was disposed while an operation was waiting on it"));
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        // The loop completes operations on its own thread, so the captured context (the loop) adds only a hop and an allocation.
        => _core.OnCompleted(continuation, state, token, flags & ~ValueTaskSourceOnCompletedFlags.UseSchedulingContext);

    public int GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
        }
    }

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    LoopReceiveFromResult IValueTaskSource<LoopReceiveFromResult>.GetResult(short token)
    {
        EndPoint? from = _from;
        _from = null;
        int n = GetResult(token);
        return new LoopReceiveFromResult(n, from!);
    }

    LoopSocket IValueTaskSource<LoopSocket>.GetResult(short token)
    {
        LoopSocket? accepted = _accepted;
        _accepted = null;
        GetResult(token);
        return accepted!;
    }

    private void Begin(OpKind kind, CancellationToken token)
    {
        if (Kind != OpKind.None)
        {
            throw new InvalidOperationException(
                $"{_socket.Describe()} already has a {Kind} operation waiting; await it before starting another {kind} in the same direction");
        }
        Kind = kind;
        _token = token;
    }

    // Any thread: only queue the check; the loop thread owns the operation.
    private void OnCancelRequested() => _socket.Loop?.CallSoonFromAnyThread(s_cancelOnLoop, this);

    private bool TryReceive()
    {
        while (true)
        {
            int n = Sockets.Receive(_socket.Fd, _buffer.Span);
            if (n >= 0)
            {
                if (n == 0 && !_buffer.IsEmpty)
                {
                    _socket.ReceivedEnd = true;
                }
                Succeed(n);
                return true;
            }
            int errno = -n;
            if (errno == Errnos.EINTR)
            {
                continue;
            }
            if (errno == Errnos.EAGAIN)
            {
                return false;
            }
            Fail(_socket.Error("recv", errno));
            return true;
        }
    }

    private bool TryReceiveFrom()
    {
        Span<byte> address = stackalloc byte[Sockets.AddressCapacity];
        while (true)
        {
            int n = Sockets.ReceiveFrom(_socket.Fd, _buffer.Span, address, out int length);
            if (n >= 0)
            {
                _from = SocketAddresses.Decode(_socket.AddressFamily, address[..length]);
                Succeed(n);
                return true;
            }
            int errno = -n;
            if (errno == Errnos.EINTR)
            {
                continue;
            }
            if (errno == Errnos.EAGAIN)
            {
                return false;
            }
            Fail(_socket.Error("recvfrom", errno));
            return true;
        }
    }

    private bool TrySendTo()
    {
        while (true)
        {
            int n = Sockets.SendTo(_socket.Fd, _data.Span, _address!.Buffer.Span[.._address.Size]);
            if (n >= 0)
            {
                // A datagram goes whole or not at all.
                Succeed(n);
                return true;
            }
            int errno = -n;
            if (errno == Errnos.EINTR)
            {
                continue;
            }
            if (errno == Errnos.EAGAIN)
            {
                return false;
            }
            Fail(_socket.Error("sendto", errno));
            return true;
        }
    }

    private bool TryAccept()
    {
        while (true)
        {
            int fd = Sockets.Accept(_socket.Fd, nonBlocking: true);
            if (fd >= 0)
            {
                _accepted = _socket.Accepted(fd);
                Succeed(0);
                return true;
            }
            int errno = -fd;
            // ECONNABORTED (103): the client gave up before we accepted; take the next one.
            if (errno is Errnos.EINTR or 103)
            {
                continue;
            }
            if (errno == Errnos.EAGAIN)
            {
                return false;
            }
            Fail(_socket.Error("accept4", errno));
            return true;
        }
    }

    private bool TrySend()
    {
        while (!_data.IsEmpty)
        {
            int n = Sockets.Send(_socket.Fd, _data.Span);
            if (n >= 0)
            {
                // A partial send: keep the rest for the next writable event.
                _data = _data[n..];
                continue;
            }
            int errno = -n;
            if (errno == Errnos.EINTR)
            {
                continue;
            }
            if (errno == Errnos.EAGAIN)
            {
                return false;
            }
            Fail(_socket.Error("send", errno));
            return true;
        }
        Succeed(0);
        return true;
    }

    private bool TryFinishConnect()
    {
        // The pending error, or getsockopt's own errno should reading it fail: either way the connect failed.
        int error = Sockets.PendingError(_socket.Fd);
        if (error == Errnos.EINPROGRESS || error == Errnos.EAGAIN)
        {
            return false;
        }
        if (error != 0)
        {
            Fail(_socket.Error("connect", error));
            return true;
        }
        Succeed(0);
        return true;
    }

    private void Succeed(int result)
    {
        End();
        _core.SetResult(result);
    }

    private void Fail(Exception error)
    {
        End();
        _core.SetException(error);
    }

    /// <summary>Clears the operation before its continuation runs (inline), which may start the next one.</summary>
    private void End()
    {
        Kind = OpKind.None;
        _buffer = default;
        _data = default;
        _address = null;
        _token = default;
        if (_registration != default)
        {
            // Unregister does not wait for a callback running elsewhere; that callback finds no
            // cancelled operation (or a newer one with its own token) and does nothing.
            _registration.Unregister();
            _registration = default;
        }
    }

    private const int EISCONN = 106;
    private const int EALREADY = 114;
}
