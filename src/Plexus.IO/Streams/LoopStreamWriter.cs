using System.Buffers;

namespace Plexus.IO;

/// <summary>
/// Buffered writes to a <see cref="LoopSocket"/> with back-pressure (Python's <c>asyncio.StreamWriter</c>):
/// <see cref="Write"/> sends at once what the kernel takes and buffers the rest, a background flush
/// sends the buffer as the socket drains, and <see cref="DrainAsync"/> waits while more than
/// <see cref="HighWaterMark"/> bytes are buffered until the flush brings it to
/// <see cref="LowWaterMark"/>. The writer owns the socket. Use it on the loop's thread.
/// </summary>
/// <remarks>
/// Buffers come from <see cref="ArrayPool{T}.Shared"/>: one collects writes while the other is being
/// sent. A write the kernel takes whole touches neither and allocates nothing; a flush or a drain that
/// has to wait allocates its task.
/// </remarks>
public sealed class LoopStreamWriter : IAsyncDisposable, IDisposable
{
    /// <summary>The default <see cref="HighWaterMark"/>, 64 KiB, as asyncio's.</summary>
    public const int DefaultHighWaterMark = 64 * 1024;

    private readonly EventLoop _loop;
    private byte[] _pending = [];
    private int _pendingCount;
    private byte[] _spare = [];
    private int _inFlight;
    private Task? _flush;
    private TaskCompletionSource? _drained;
    private Exception? _error;
    private bool _closed;

    /// <summary>Writes to <paramref name="socket"/> on <paramref name="loop"/>; <paramref name="highWaterMark"/> is where <see cref="DrainAsync"/> starts to wait.</summary>
    public LoopStreamWriter(EventLoop loop, LoopSocket socket, int highWaterMark = DefaultHighWaterMark)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentOutOfRangeException.ThrowIfLessThan(highWaterMark, 1);
        _loop = loop;
        Socket = socket;
        HighWaterMark = highWaterMark;
        LowWaterMark = highWaterMark / 4;
    }

    /// <summary>The socket written to (owned by the writer).</summary>
    public LoopSocket Socket { get; }

    /// <summary>Above this many buffered bytes, <see cref="DrainAsync"/> waits.</summary>
    public int HighWaterMark { get; }

    /// <summary>A waiting <see cref="DrainAsync"/> resumes once the buffer is at or below this (a quarter of the high-water mark).</summary>
    public int LowWaterMark { get; }

    /// <summary>Bytes written and not yet taken by the kernel (Python's <c>transport.get_write_buffer_size()</c>).</summary>
    public int BufferedCount => _pendingCount + _inFlight;

    /// <summary>
    /// Sends <paramref name="data"/>, or the part the kernel does not take now later, in order (Python's
    /// <c>write</c>). Never waits; call <see cref="DrainAsync"/> to respect back-pressure.
    /// </summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        ThrowIfUnusable();
        if (_flush is null)
        {
            data = data[Socket.TrySend(data)..];
            if (data.IsEmpty)
            {
                return;
            }
        }
        Append(data);
        if (_flush is null)
        {
            // A flush that finishes at once has already cleared _flush; only a waiting one is kept.
            Task flush = SendPendingAsync();
            if (!flush.IsCompleted)
            {
                _flush = flush;
            }
        }
    }

    /// <summary>
    /// Completes at once while at most <see cref="HighWaterMark"/> bytes are buffered; otherwise waits
    /// until the buffer is down to <see cref="LowWaterMark"/> (Python's <c>drain</c>). A send that
    /// failed in the background throws here.
    /// </summary>
    public ValueTask DrainAsync(CancellationToken cancellationToken = default)
    {
        if (_error is not null)
        {
            return ValueTask.FromException(_error);
        }
        if (BufferedCount <= HighWaterMark)
        {
            return ValueTask.CompletedTask;
        }
        _drained ??= new TaskCompletionSource();
        return new ValueTask(_drained.Task.WaitAsync(cancellationToken));
    }

    /// <summary>Waits until everything written has been taken by the kernel.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        while (_flush is { } flush)
        {
            await flush.WaitAsync(cancellationToken).ConfigureAwait(true);
        }
        if (_error is not null)
        {
            throw _error;
        }
    }

    /// <summary>Sends what is buffered, then half-closes (Python's <c>write_eof</c>): the peer reads end of stream.</summary>
    public async Task WriteEofAsync(CancellationToken cancellationToken = default)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(true);
        Socket.ShutdownSend();
    }

    /// <summary>Sends what is buffered, then closes the socket (Python's <c>close</c> + <c>wait_closed</c>).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_closed)
        {
            return;
        }
        try
        {
            if (!Socket.IsDisposed)
            {
                await FlushAsync().ConfigureAwait(true);
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // The peer is gone: nothing more can be delivered, and closing is what was asked.
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>Closes the socket at once, dropping anything still buffered (Python's <c>transport.abort</c>).</summary>
    public void Dispose()
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        Socket.Dispose();
        ReturnBuffers();
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_error is not null)
        {
            throw new IOException($"an earlier write to {Socket.Describe()} failed: {_error.Message}", _error);
        }
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        int needed = _pendingCount + data.Length;
        if (needed > _pending.Length)
        {
            byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 4096));
            _pending.AsSpan(0, _pendingCount).CopyTo(bigger);
            Return(_pending);
            _pending = bigger;
        }
        data.CopyTo(_pending.AsSpan(_pendingCount));
        _pendingCount = needed;
    }

    private async Task SendPendingAsync()
    {
        try
        {
            while (_pendingCount > 0 && !_closed)
            {
                // Swap: writes made while this batch is sent collect in the other buffer.
                byte[] sending = _pending;
                _inFlight = _pendingCount;
                _pending = _spare;
                _pendingCount = 0;
                _spare = [];
                try
                {
                    await _loop.SendAllAsync(Socket, sending.AsMemory(0, _inFlight)).ConfigureAwait(true);
                }
                finally
                {
                    _inFlight = 0;
                    if (_closed)
                    {
                        Return(sending);
                    }
                    else
                    {
                        _spare = sending;
                    }
                }
                if (BufferedCount <= LowWaterMark)
                {
                    ReleaseDrainer(null);
                }
            }
        }
        catch (Exception e)
        {
            _error = e;
        }
        finally
        {
            _flush = null;
            ReleaseDrainer(_error);
        }
    }

    private void ReleaseDrainer(Exception? error)
    {
        TaskCompletionSource? drained = _drained;
        _drained = null;
        if (error is null)
        {
            drained?.TrySetResult();
        }
        else
        {
            drained?.TrySetException(error);
        }
    }

    private void ReturnBuffers()
    {
        Return(_pending);
        Return(_spare);
        _pending = _spare = [];
        _pendingCount = 0;
    }

    private static void Return(byte[] buffer)
    {
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
