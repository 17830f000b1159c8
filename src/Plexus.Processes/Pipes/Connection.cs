using System.Buffers;
using System.Buffers.Binary;
using MessagePack;
using Plexus.Native;
using Plexus.Processes.Serialization;

namespace Plexus.Processes;

/// <summary>
/// One end of a <see cref="ProcessPipe"/>: sends and receives framed messages (objects or raw
/// bytes) over a Unix stream socket. Mirrors Python's <c>multiprocessing.connection.Connection</c>.
/// </summary>
/// <remarks>
/// A frame is a 4-byte little-endian length and a payload of at most <see cref="MaxFrameSize"/>
/// bytes; a larger announced frame is refused before anything is allocated. A closed peer is an
/// <see cref="EndOfStreamException"/>, never a hang. Passing a connection to a child process as a
/// start argument moves it: the child gets a connected end and this process's copy is closed when
/// <see cref="ChildProcess.Start"/> returns, so that the child's death reaches the other end as EOF
/// (closing it again, Python's <c>p.start(); child_conn.close()</c>, is safe and does nothing).
/// One thread may send while another receives. Every call holds a reference on the descriptor, so a
/// <see cref="Dispose"/> on another thread never makes a call touch a closed or reused descriptor: calls
/// after it throw <see cref="ObjectDisposedException"/>, and one already running finishes first.
/// <para>A message may hold shareable objects (another <see cref="Connection"/>, a <see cref="SharedSocket"/>,
/// a lock, a queue, a shared value): their descriptors ride with the frame over <c>SCM_RIGHTS</c> and
/// the receiver's <see cref="Receive{T}()"/> rebuilds them connected. Such a frame's header has its top
/// bit set and its payload starts with the descriptor count. A connection or socket sent so is moved,
/// as by <see cref="ChildProcess.Start"/>: this process's copy is closed once the frame is sent.</para>
/// </remarks>
public sealed partial class Connection : IProcessShareable<Connection>, IDisposable
{
    /// <summary>The default <see cref="MaxFrameSize"/>: 64 MiB.</summary>
    public const int DefaultMaxFrameSize = 64 << 20;

    private const int HeaderSize = 4;
    // The header's top bit: the frame carries descriptors, and its first payload byte counts them.
    private const uint DescriptorsFlag = 0x8000_0000;
    private readonly SafeFd _fd;
    private readonly Lock _sendLock = new();
    private readonly Lock _receiveLock = new();
    private readonly ArrayBufferWriter<byte> _sendBuffer = new(256);
    private byte[] _receiveBuffer = new byte[64 * 1024];
    private int _start, _end;
    private string? _movedTo;
    private System.Net.Sockets.Socket? _waiter;
    private bool _broken;
    // Sends reuse one table (under the send lock); created on the first typed send.
    private PlexusSerializerOptions? _sendOptions;
    // Descriptors received and not yet claimed by their frame, in arrival order.
    private readonly List<int> _received = [];
    // Whether the frame whose header was read last carries descriptors.
    private bool _frameHasDescriptors;

    internal Connection(int fd, bool readable, bool writable)
    {
        _fd = new SafeFd(fd);
        Readable = readable;
        Writable = writable;
    }

    /// <summary>Whether this end can receive.</summary>
    public bool Readable { get; }

    /// <summary>Whether this end can send.</summary>
    public bool Writable { get; }

    /// <summary>Whether <see cref="Close"/> (or a move to a child) has happened.</summary>
    public bool IsClosed { get; private set; }

    /// <summary>
    /// The largest frame this end accepts, in bytes (default 64 MiB). A peer that announces more is
    /// refused with <see cref="InvalidDataException"/> and the connection is closed.
    /// </summary>
    public int MaxFrameSize { get; set; } = DefaultMaxFrameSize;

    /// <summary>The underlying descriptor (for selectors and event loops).</summary>
    public int Fd => _fd.Fd;

    /// <summary>Sends <paramref name="value"/> as one frame; the receiver reads it as the same declared type.</summary>
    public void Send<T>(T value)
    {
        lock (_sendLock)
        {
            EnsureWritable();
            using DescriptorUse use = Use();
            _sendOptions ??= PlexusSerializerOptions.Create(new HandleTable());
            HandleTable handles = _sendOptions.Handles!;
            // One byte more than a header: room for the descriptor count, so neither kind of frame is copied.
            _sendBuffer.ResetWrittenCount();
            _sendBuffer.Advance(HeaderSize + 1);
            try
            {
                MessagePackSerializer.Serialize(_sendBuffer, value, _sendOptions);
            }
            catch (MessagePackSerializationException e)
            {
                handles.Reset();
                throw Unserializable(typeof(T), e);
            }
            if (handles.Fds.Count == 0)
            {
                SendFrame(1);
                return;
            }
            try
            {
                SendFrameWithDescriptors(handles);
                handles.Commit();
            }
            finally
            {
                handles.Reset();
            }
        }
    }

    private void SendFrameWithDescriptors(HandleTable handles)
    {
        if (handles.Fds.Count > Descriptors.MaxPerMessage)
        {
            throw new InvalidOperationException(
                $"this message holds objects with {handles.Fds.Count} descriptors, more than the {Descriptors.MaxPerMessage} one message carries; send them in several messages");
        }
        Span<byte> frame = System.Runtime.InteropServices.MemoryMarshal.AsMemory(_sendBuffer.WrittenMemory).Span;
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)(frame.Length - HeaderSize) | DescriptorsFlag);
        frame[HeaderSize] = (byte)handles.Fds.Count;
        try
        {
            handles.Send(Fd, frame);
        }
        catch (ErrnoException e) when (e.Errno is Errnos.EPIPE or Errnos.ECONNRESET)
        {
            throw new IOException("cannot send on the connection: the peer has closed its end", e);
        }
    }

    /// <summary>Sends an <c>object</c>-typed value (Python's <c>send</c>).</summary>
    public void Send(object? value) => Send<object?>(value);

    /// <summary>Sends <paramref name="bytes"/> as one frame (Python's <c>send_bytes</c>).</summary>
    public void SendBytes(ReadOnlySpan<byte> bytes)
    {
        lock (_sendLock)
        {
            EnsureWritable();
            using DescriptorUse use = Use();
            if (bytes.Length >= 16 * 1024)
            {
                // Large payloads go out beside the header (one sendmsg with two vectors), not copied.
                Span<byte> header = stackalloc byte[HeaderSize];
                BinaryPrimitives.WriteInt32LittleEndian(header, bytes.Length);
                Write(header, bytes);
                return;
            }
            _sendBuffer.ResetWrittenCount();
            _sendBuffer.Advance(HeaderSize);
            _sendBuffer.Write(bytes);
            SendFrame();
        }
    }

    /// <summary>Receives one frame as <typeparamref name="T"/>, blocking until it arrives.</summary>
    /// <exception cref="EndOfStreamException">The peer closed its end.</exception>
    public T Receive<T>()
    {
        lock (_receiveLock)
        {
            using DescriptorUse use = Use();
            return Read<T>(ReceiveFrame(Timeout.InfiniteTimeSpan)!.Value);
        }
    }

    /// <summary>
    /// Receives one frame read by <paramref name="formatter"/> itself (Plexus's own messages): no resolver is
    /// consulted and no options are passed, so a pool worker whose tasks are plain values never builds the
    /// serializer's options (their first use costs a new process ~5 ms).
    /// </summary>
    /// <param name="formatter">A formatter that reads the frame by hand and never looks at its options argument.</param>
    internal T Receive<T>(MessagePack.Formatters.IMessagePackFormatter<T> formatter)
    {
        lock (_receiveLock)
        {
            using DescriptorUse use = Use();
            ReadOnlyMemory<byte> payload = ReceiveFrame(Timeout.InfiniteTimeSpan)!.Value;
            if (_frameHasDescriptors)
            {
                CloseReceived(Math.Min(payload.Span[0], _received.Count));
                throw DescriptorsRefused();
            }
            var reader = new MessagePack.MessagePackReader(payload);
            return formatter.Deserialize(ref reader, null!);
        }
    }

    /// <summary>Receives one <c>object</c>-typed value (Python's <c>recv</c>).</summary>
    public object? Receive() => Receive<object?>();

    /// <summary>
    /// Receives one frame as <typeparamref name="T"/> without holding a thread while nothing has
    /// arrived; <paramref name="cancellationToken"/> cancels the wait.
    /// </summary>
    public async ValueTask<T> ReceiveAsync<T>(CancellationToken cancellationToken = default)
    {
        await WaitReadableAsync(cancellationToken).ConfigureAwait(false);
        return Receive<T>();
    }

    /// <summary>Receives one frame's bytes without holding a thread while nothing has arrived.</summary>
    public async ValueTask<byte[]> ReceiveBytesAsync(CancellationToken cancellationToken = default)
    {
        await WaitReadableAsync(cancellationToken).ConfigureAwait(false);
        return ReceiveBytes();
    }

    private async ValueTask WaitReadableAsync(CancellationToken cancellationToken)
    {
        EnsureReadable();
        if (_end - _start >= HeaderSize)
        {
            return;
        }
        // The reference lasts across the wait: a Dispose meanwhile wakes it (through _waiter) before the descriptor closes.
        using DescriptorUse use = Use();
        // A zero-byte receive through .NET's socket engine waits for data without consuming any.
        _waiter ??= new System.Net.Sockets.Socket(new System.Net.Sockets.SafeSocketHandle(Fd, ownsHandle: false));
        await _waiter.ReceiveAsync(Memory<byte>.Empty, System.Net.Sockets.SocketFlags.None, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Receives one <c>object</c>-typed value asynchronously.</summary>
    public ValueTask<object?> ReceiveAsync(CancellationToken cancellationToken = default) => ReceiveAsync<object?>(cancellationToken);

    /// <summary>Receives one frame as <typeparamref name="T"/> within <paramref name="timeout"/>.</summary>
    /// <returns><c>false</c> when nothing arrived in time.</returns>
    public bool TryReceive<T>(TimeSpan timeout, out T value)
    {
        lock (_receiveLock)
        {
            using DescriptorUse use = Use();
            if (ReceiveFrame(timeout) is not { } payload)
            {
                value = default!;
                return false;
            }
            value = Read<T>(payload);
            return true;
        }
    }

    /// <summary>Receives one frame's bytes (Python's <c>recv_bytes</c>).</summary>
    public byte[] ReceiveBytes()
    {
        TryReceiveBytes(Timeout.InfiniteTimeSpan, out byte[] frame);
        return frame;
    }

    /// <summary>Receives one frame's bytes within <paramref name="timeout"/>.</summary>
    /// <returns><c>false</c> when nothing arrived in time (<paramref name="bytes"/> is then empty).</returns>
    public bool TryReceiveBytes(TimeSpan timeout, out byte[] bytes)
    {
        lock (_receiveLock)
        {
            using DescriptorUse use = Use();
            int length = ReceiveHeader(timeout);
            if (length < 0)
            {
                bytes = [];
                return false;
            }
            RefuseDescriptors(length);
            bytes = new byte[length];
            ReceivePayload(bytes);
            return true;
        }
    }

    /// <summary>Receives one frame into <paramref name="destination"/> and returns its length.</summary>
    /// <exception cref="ArgumentException">The frame is longer than <paramref name="destination"/> (it is discarded).</exception>
    public int ReceiveBytes(Span<byte> destination)
    {
        lock (_receiveLock)
        {
            using DescriptorUse use = Use();
            int length = ReceiveHeader(Timeout.InfiniteTimeSpan);
            RefuseDescriptors(length);
            if (length > destination.Length)
            {
                Fill(length);
                _start += length;
                throw new ArgumentException($"the frame has {length} bytes but the buffer holds {destination.Length}; the frame was discarded", nameof(destination));
            }
            ReceivePayload(destination[..length]);
            return length;
        }
    }

    /// <summary>Whether a frame (or EOF) can be read within <paramref name="timeout"/> (Python's <c>poll</c>).</summary>
    public bool Poll(TimeSpan timeout = default)
    {
        EnsureReadable();
        if (_end - _start >= HeaderSize)
        {
            return true;
        }
        using DescriptorUse use = Use();
        return Descriptors.WaitReadable(Fd, ToMilliseconds(timeout));
    }

    /// <summary>Whether a frame (or EOF) can be read before <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled first.</exception>
    public bool Poll(CancellationToken cancellationToken)
    {
        // Short polls keep cancellation prompt without a wake-up descriptor per connection.
        while (!Poll(TimeSpan.FromMilliseconds(50)))
        {
            cancellationToken.ThrowIfCancellationRequested();
        }
        return true;
    }

    /// <summary>
    /// Closes this end; the peer's next receive sees EOF. Safe to call more than once, and right after
    /// passing this end to <see cref="ChildProcess.Start"/> (Python's <c>p.start(); child_conn.close()</c>):
    /// the start already moved the end to the child, so this closes nothing the child needs.
    /// </summary>
    public void Close() => Dispose();

    /// <inheritdoc cref="Close"/>
    public void Dispose()
    {
        IsClosed = true;
        _waiter?.Dispose();
        _fd.Dispose();
        // A receive in progress holds the lock and still owns the list; otherwise close what no frame claimed.
        if (_receiveLock.TryEnter())
        {
            try
            {
                CloseReceived(_received.Count);
            }
            finally
            {
                _receiveLock.Exit();
            }
        }
    }

    /// <summary>Reads a typed payload, rebuilding shareable objects from the descriptors that came with it.</summary>
    private T Read<T>(ReadOnlyMemory<byte> payload)
    {
        if (!_frameHasDescriptors)
        {
            return PlexusSerializer.Deserialize<T>(payload);
        }
        int count = payload.Span[0];
        if (count > _received.Count)
        {
            CloseReceived(_received.Count);
            throw new InvalidDataException($"a frame announced {count} descriptors but {_received.Count} arrived; the peer does not speak Plexus's framing");
        }
        var handles = new HandleTable(_received.GetRange(0, count));
        _received.RemoveRange(0, count);
        try
        {
            return MessagePackSerializer.Deserialize<T>(payload[1..], PlexusSerializerOptions.Create(handles));
        }
        finally
        {
            handles.CloseUntaken();
        }
    }

    /// <summary>Refuses a frame with descriptors on a path that reads bytes: it is dropped and its descriptors closed.</summary>
    private void RefuseDescriptors(int length)
    {
        if (!_frameHasDescriptors)
        {
            return;
        }
        Fill(length);
        int count = _receiveBuffer[_start];
        _start += length;
        CloseReceived(Math.Min(count, _received.Count));
        throw DescriptorsRefused();
    }

    private static InvalidOperationException DescriptorsRefused()
        => new("this message holds shareable objects (sent with Send<T>); receive it with Receive<T>, not as bytes (the message was dropped)");

    private void CloseReceived(int count)
    {
        for (int i = 0; i < count; i++)
        {
            Descriptors.Close(_received[i]);
        }
        _received.RemoveRange(0, count);
    }

    /// <summary>Holds a reference on the descriptor until disposed, so a concurrent Dispose defers the close.</summary>
    private DescriptorUse Use()
    {
        bool added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            EnsureOpen(); // throws with the reason (moved, broken or closed)
            throw;
        }
        return new DescriptorUse(_fd);
    }

    private readonly struct DescriptorUse(SafeFd fd) : IDisposable
    {
        public void Dispose() => fd.DangerousRelease();
    }

    /// <param name="offset">Where the frame starts in the send buffer (bytes before it are unused).</param>
    private void SendFrame(int offset = 0)
    {
        ReadOnlySpan<byte> frame = _sendBuffer.WrittenSpan[offset..];
        int length = frame.Length - HeaderSize;
        // The header is patched in place so header and payload leave in one system call.
        BinaryPrimitives.WriteInt32LittleEndian(
            System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(frame), HeaderSize), length);
        Write(frame, default);
        if (_sendBuffer.Capacity > 1 << 20)
        {
            _sendBuffer.Clear();
        }
    }

    private void Write(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        try
        {
            Descriptors.WriteAll(Fd, first, second);
        }
        catch (ErrnoException e) when (e.Errno is Errnos.EPIPE or Errnos.ECONNRESET)
        {
            throw new IOException("cannot send on the connection: the peer has closed its end", e);
        }
    }

    private static int ToMilliseconds(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan || timeout < TimeSpan.Zero ? -1 : (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalMilliseconds));

    /// <returns>The payload (valid until the next receive), or <c>null</c> on timeout.</returns>
    private ReadOnlyMemory<byte>? ReceiveFrame(TimeSpan timeout)
    {
        int length = ReceiveHeader(timeout);
        if (length < 0)
        {
            return null;
        }
        Fill(length);
        var payload = new ReadOnlyMemory<byte>(_receiveBuffer, _start, length);
        _start += length;
        return payload;
    }

    /// <summary>Copies the next <c>destination.Length</c> payload bytes out: what is buffered, then straight from the socket.</summary>
    private void ReceivePayload(Span<byte> destination)
    {
        if (destination.Length <= _receiveBuffer.Length / 2)
        {
            Fill(destination.Length);
            _receiveBuffer.AsSpan(_start, destination.Length).CopyTo(destination);
            _start += destination.Length;
            return;
        }
        // Large payloads skip the buffer: one copy (the kernel's) instead of two.
        int buffered = Math.Min(_end - _start, destination.Length);
        _receiveBuffer.AsSpan(_start, buffered).CopyTo(destination);
        _start += buffered;
        for (int read = buffered; read < destination.Length;)
        {
            int n = Descriptors.Read(Fd, destination[read..]);
            if (n == 0)
            {
                throw new EndOfStreamException($"the peer closed the connection in the middle of a frame ({read} of {destination.Length} bytes arrived); the message is lost");
            }
            read += n;
        }
    }

    /// <returns>The announced payload length, or -1 on timeout.</returns>
    private int ReceiveHeader(TimeSpan timeout)
    {
        EnsureReadable();
        if (_end - _start < HeaderSize && timeout != Timeout.InfiniteTimeSpan && !Descriptors.WaitReadable(Fd, ToMilliseconds(timeout)))
        {
            return -1;
        }
        Fill(HeaderSize);
        uint header = BinaryPrimitives.ReadUInt32LittleEndian(_receiveBuffer.AsSpan(_start));
        _frameHasDescriptors = (header & DescriptorsFlag) != 0;
        int length = (int)(header & ~DescriptorsFlag);
        if (length > MaxFrameSize || (_frameHasDescriptors && length == 0))
        {
            _broken = true;
            Dispose();
            throw new InvalidDataException(
                $"the peer announced a frame of {(uint)length} bytes, more than this connection's MaxFrameSize " +
                $"of {MaxFrameSize} bytes; the connection is closed. Raise Connection.MaxFrameSize on the receiving " +
                "end if such frames are expected, or check that both ends speak Plexus's framing.");
        }
        _start += HeaderSize;
        return length;
    }

    /// <summary>Reads until <paramref name="needed"/> bytes are buffered from <c>_start</c>.</summary>
    private void Fill(int needed)
    {
        if (_end - _start >= needed)
        {
            return;
        }
        if (_start + needed > _receiveBuffer.Length)
        {
            byte[] target = needed > _receiveBuffer.Length ? new byte[Math.Max(needed, _receiveBuffer.Length * 2)] : _receiveBuffer;
            Buffer.BlockCopy(_receiveBuffer, _start, target, 0, _end - _start);
            _end -= _start;
            _start = 0;
            _receiveBuffer = target;
        }
        while (_end - _start < needed)
        {
            int n = ReadWithDescriptors(_receiveBuffer.AsSpan(_end));
            if (n == 0)
            {
                int had = _end - _start;
                _start = _end = 0;
                throw had == 0 && needed == HeaderSize
                    ? new EndOfStreamException("the peer closed the connection (EOF): no more messages will arrive")
                    : new EndOfStreamException($"the peer closed the connection in the middle of a frame ({had} of {needed} bytes arrived); the message is lost");
            }
            _end += n;
        }
    }

    /// <summary>
    /// Reads what is there with <c>recvmsg</c>, keeping descriptors that arrive (a plain read would close
    /// them): they come with the first byte of their frame, which may be read ahead of the frame's turn.
    /// </summary>
    private int ReadWithDescriptors(Span<byte> buffer)
    {
        while (true)
        {
            int n = Descriptors.ReceiveSomeWithDescriptors(Fd, buffer, _received);
            if (n >= 0)
            {
                return n;
            }
            switch (-n)
            {
                case Errnos.ECONNRESET:
                    return 0;
                case Errnos.EAGAIN:
                    // The descriptor was made non-blocking (an async wait did that): block here instead.
                    Descriptors.WaitReadable(Fd, -1);
                    break;
                default:
                    throw new ErrnoException("recvmsg", -n);
            }
        }
    }

    private void EnsureReadable()
    {
        EnsureOpen();
        if (!Readable)
        {
            throw new InvalidOperationException("this is the sending end of a one-way pipe; receive on the other end");
        }
    }

    private void EnsureWritable()
    {
        EnsureOpen();
        if (!Writable)
        {
            throw new InvalidOperationException("this is the receiving end of a one-way pipe; send on the other end");
        }
    }

    private void EnsureOpen()
    {
        if (_movedTo is not null)
        {
            throw new ObjectDisposedException(nameof(Connection), $"this end was handed to {_movedTo}; only that process can use it now");
        }
        if (_broken)
        {
            throw new ObjectDisposedException(nameof(Connection), "this connection was closed after a malformed or oversized frame");
        }
        ObjectDisposedException.ThrowIf(IsClosed, this);
    }

    private static NotSerializableException Unserializable(Type type, MessagePackSerializationException e)
        => e.InnerException as NotSerializableException ?? new NotSerializableException(type, e.InnerException?.Message ?? e.Message);

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles)
    {
        EnsureOpen();
        if (_end > _start)
        {
            throw new InvalidOperationException("this connection has received data that was not read yet; read it before handing the end to another process");
        }
        writer.WriteArrayHeader(4);
        writer.Write(handles.Add(_fd));
        writer.Write(Readable);
        writer.Write(Writable);
        writer.Write(MaxFrameSize);
        handles.OnCommit(() =>
        {
            _movedTo ??= "another process";
            Dispose();
        });
    }

    static Connection IProcessShareable<Connection>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        if (reader.ReadArrayHeader() != 4)
        {
            throw new MessagePackSerializationException("a connection is four fields");
        }
        int fd = handles.Take(reader.ReadInt32());
        return new Connection(fd, reader.ReadBoolean(), reader.ReadBoolean()) { MaxFrameSize = reader.ReadInt32() };
    }
}
