using System.Buffers;
using System.Runtime.CompilerServices;

namespace Plexus.IO;

/// <summary>
/// Buffered reads from a <see cref="LoopSocket"/> on its loop (Python's <c>asyncio.StreamReader</c>):
/// read some, read exactly N, read a line or up to a delimiter with a limit. Use it on the loop's
/// thread, one read at a time.
/// </summary>
/// <remarks>
/// The buffer comes from <see cref="ArrayPool{T}.Shared"/> and grows only as far as a delimited read
/// needs (at most about twice <see cref="Limit"/>); the reads are pooled state machines whose
/// continuations run inline on the loop thread, so a steady stream of reads allocates nothing. A delimited read returns a slice of that buffer: it
/// is valid until the next read on this reader (copy it to keep it).
/// </remarks>
public sealed class LoopStreamReader : IDisposable
{
    /// <summary>The default <see cref="Limit"/>, 64 KiB, as asyncio's.</summary>
    public const int DefaultLimit = 64 * 1024;

    private static readonly ReadOnlyMemory<byte> s_newLine = new byte[] { (byte)'\n' };

    private readonly EventLoop _loop;
    private readonly LoopSocket _socket;
    private readonly LoopContinuation<int> _counted = new();
    private readonly LoopContinuation<ReadOnlyMemory<byte>> _delimited = new();
    private byte[] _buffer;
    private int _start;
    private int _end;

    /// <summary>Reads from <paramref name="socket"/> on <paramref name="loop"/>; delimited reads give up after <paramref name="limit"/> bytes.</summary>
    public LoopStreamReader(EventLoop loop, LoopSocket socket, int limit = DefaultLimit)
    {
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _loop = loop;
        _socket = socket;
        Limit = limit;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(limit, 4096));
    }

    /// <summary>The most bytes a line or delimited read may span, delimiter included.</summary>
    public int Limit { get; }

    /// <summary>Bytes read from the socket and not yet returned.</summary>
    public int BufferedCount => _end - _start;

    /// <summary>True when the peer closed its side and every buffered byte has been returned (Python's <c>at_eof</c>).</summary>
    public bool AtEnd => Eof && _start == _end;

    /// <summary>Reads up to <paramref name="destination"/>.Length bytes; 0 at end of stream (Python's <c>read(n)</c>).</summary>
    public ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        // Nothing buffered and room for a whole buffer: the socket's own operation is returned as is
        // (its continuation already runs inline on the loop), one state machine fewer per read.
        return _start == _end && !Eof && destination.Length >= _buffer.Length && !destination.IsEmpty
            ? _loop.ReceiveAsync(_socket, destination, cancellationToken)
            : _counted.Wrap(ReadSomeAsync(destination, cancellationToken));
    }

    /// <summary>The peer closed its side (a receive on the socket returned 0).</summary>
    private bool Eof => _socket.ReceivedEnd;

    /// <summary>
    /// Fills <paramref name="destination"/> completely (Python's <c>readexactly</c>); the stream
    /// ending first throws <see cref="EndOfStreamException"/> saying how many bytes arrived.
    /// </summary>
    public ValueTask ReadExactlyAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
        => _counted.WrapUntyped(ReadAllAsync(destination, cancellationToken));

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadSomeAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (destination.IsEmpty)
        {
            return 0;
        }
        if (_start == _end && !Eof)
        {
            // Nothing buffered: a large destination takes the data straight from the socket.
            if (destination.Length >= _buffer.Length)
            {
                return await _loop.ReceiveAsync(_socket, destination, cancellationToken).ConfigureAwait(false);
            }
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
        return Take(destination.Span);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadAllAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        int wanted = destination.Length;
        while (!destination.IsEmpty)
        {
            int n = await ReadSomeAsync(destination, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException(
                    $"the peer closed the stream after {wanted - destination.Length} of {wanted} expected bytes");
            }
            destination = destination[n..];
        }
        return wanted;
    }

    /// <summary>
    /// Reads through the next <c>\n</c> (Python's <c>readline</c>); at end of stream returns what is left
    /// (empty when nothing). The result includes the newline and is valid until the next read.
    /// </summary>
    /// <exception cref="StreamLimitExceededException">No newline within <see cref="Limit"/> bytes; the buffered data is discarded.</exception>
    public ValueTask<ReadOnlyMemory<byte>> ReadLineAsync(CancellationToken cancellationToken = default)
        => _delimited.Wrap(ReadDelimitedAsync(s_newLine, partialAtEnd: true, cancellationToken));

    /// <summary>
    /// Reads through the next <paramref name="delimiter"/> (Python's <c>readuntil</c>); the result
    /// includes it and is valid until the next read. The stream ending first throws
    /// <see cref="EndOfStreamException"/>.
    /// </summary>
    /// <exception cref="StreamLimitExceededException">No delimiter within <see cref="Limit"/> bytes; the buffered data is discarded.</exception>
    public ValueTask<ReadOnlyMemory<byte>> ReadUntilAsync(ReadOnlyMemory<byte> delimiter, CancellationToken cancellationToken = default)
    {
        if (delimiter.IsEmpty)
        {
            throw new ArgumentException("the delimiter must not be empty", nameof(delimiter));
        }
        return _delimited.Wrap(ReadDelimitedAsync(delimiter, partialAtEnd: false, cancellationToken));
    }

    /// <summary>Returns the buffer to the pool. The socket is not closed (the writer owns it).</summary>
    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _start = _end = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadOnlyMemory<byte>> ReadDelimitedAsync(ReadOnlyMemory<byte> delimiter, bool partialAtEnd, CancellationToken cancellationToken)
    {
        // Bytes already searched; a new search resumes just before them, where a delimiter split across two receives may start.
        int searched = 0;
        while (true)
        {
            int from = Math.Max(0, searched - delimiter.Length + 1);
            int at = _buffer.AsSpan(_start + from, _end - _start - from).IndexOf(delimiter.Span);
            if (at >= 0)
            {
                int length = from + at + delimiter.Length;
                if (length > Limit)
                {
                    throw Overrun(delimiter);
                }
                var line = new ReadOnlyMemory<byte>(_buffer, _start, length);
                _start += length;
                return line;
            }
            searched = _end - _start;
            if (searched >= Limit)
            {
                throw Overrun(delimiter);
            }
            if (Eof)
            {
                if (!partialAtEnd)
                {
                    throw new EndOfStreamException($"the peer closed the stream after {searched} bytes without the delimiter");
                }
                var rest = new ReadOnlyMemory<byte>(_buffer, _start, searched);
                _start = _end;
                return rest;
            }
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Receives once into the free end of the buffer, compacting or growing it first when full.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        if (_start == _end)
        {
            _start = _end = 0;
        }
        if (_end == _buffer.Length)
        {
            int count = _end - _start;
            if (count * 2 <= _buffer.Length)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, count);
            }
            else
            {
                byte[] bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
                Buffer.BlockCopy(_buffer, _start, bigger, 0, count);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }
            _start = 0;
            _end = count;
        }
        int n = await _loop.ReceiveAsync(_socket, _buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        _end += n;
    }

    private int Take(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, n).CopyTo(destination);
        _start += n;
        return n;
    }

    private StreamLimitExceededException Overrun(ReadOnlyMemory<byte> delimiter)
    {
        _start = _end = 0;
        string what = delimiter.Span.SequenceEqual(s_newLine.Span) ? "a line" : "the delimiter";
        return new StreamLimitExceededException(
            $"no end of {what} within the reader's limit of {Limit} bytes from {_socket.Describe()}; the data was discarded (raise the limit when opening the stream if longer records are expected)");
    }
}
