namespace Plexus.IO;

/// <summary>
/// A <see cref="Stream"/> view of a <see cref="LoopSocket"/>, so that .NET code written against
/// streams (<see cref="System.Net.Security.SslStream"/>, parsers, <c>PipeReader.Create</c>) runs on
/// the loop: <see cref="ReadAsync(Memory{byte}, CancellationToken)"/> and
/// <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> are the loop's receive and send.
/// </summary>
/// <remarks>
/// Calls on the loop's thread go straight to the socket. A caller may also resume elsewhere
/// (<see cref="System.Net.Security.SslStream"/> finishes parts of a server handshake on the thread
/// pool); such calls hop to the loop with <see cref="EventLoop.RunAsync{T}(Func{Task{T}})"/>, which
/// allocates, and their continuation runs on the pool. The synchronous <see cref="Read(byte[], int, int)"/> and
/// <see cref="Write(byte[], int, int)"/> are refused: they would block the loop.
/// </remarks>
public sealed class LoopNetworkStream : Stream
{
    private readonly EventLoop _loop;
    private readonly bool _ownsSocket;
    private bool _disposed;

    /// <summary>Wraps <paramref name="socket"/>; disposing the stream closes the socket when <paramref name="ownsSocket"/>.</summary>
    public LoopNetworkStream(EventLoop loop, LoopSocket socket, bool ownsSocket = true)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(socket);
        _loop = loop;
        Socket = socket;
        _ownsSocket = ownsSocket;
    }

    /// <summary>The socket under the stream.</summary>
    public LoopSocket Socket { get; }

    /// <inheritdoc />
    public override bool CanRead => !_disposed;

    /// <inheritdoc />
    public override bool CanWrite => !_disposed;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException("a socket stream has no length");

    /// <inheritdoc />
    public override long Position
    {
        get => throw new NotSupportedException("a socket stream has no position");
        set => throw new NotSupportedException("a socket stream cannot seek");
    }

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_loop.IsOnLoopThread)
        {
            return new ValueTask<int>(_loop.RunAsync(() => _loop.ReceiveAsync(Socket, buffer, cancellationToken).AsTask()));
        }
        return _loop.ReceiveAsync(Socket, buffer, cancellationToken);
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_loop.IsOnLoopThread)
        {
            return new ValueTask(_loop.RunAsync(() => _loop.SendAllAsync(Socket, buffer, cancellationToken).AsTask()));
        }
        return _loop.SendAllAsync(Socket, buffer, cancellationToken);
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Nothing to do: a completed write has been handed to the kernel.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Nothing to do: a completed write has been handed to the kernel.</summary>
    public override void Flush()
    {
    }

    /// <summary>Refused: a blocking read would stop the event loop. Use <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>.</summary>
    public override int Read(byte[] buffer, int offset, int count) => throw Blocking(nameof(Read));

    /// <summary>Refused: a blocking write would stop the event loop. Use <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.</summary>
    public override void Write(byte[] buffer, int offset, int count) => throw Blocking(nameof(Write));

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("a socket stream cannot seek");

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException("a socket stream has no length");

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            if (_ownsSocket)
            {
                if (_loop.IsRunning && !_loop.IsOnLoopThread)
                {
                    _loop.CallSoonThreadSafe(Socket.Dispose);
                }
                else
                {
                    Socket.Dispose();
                }
            }
        }
        base.Dispose(disposing);
    }

    private static NotSupportedException Blocking(string method)
        => new($"LoopNetworkStream.{method} would block the event loop; use {method}Async on the loop's thread");
}
