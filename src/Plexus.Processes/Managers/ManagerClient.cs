using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using Plexus.Native;
using Plexus.Processes.Serialization;

namespace Plexus.Processes;

/// <summary>
/// One authenticated connection to a manager, shared by every proxy of this process for that
/// address. Calls carry ids, so many can be in flight (pipelining); one reader thread completes
/// them. When the manager goes away every pending and later call fails at once.
/// </summary>
/// <remarks>
/// On a Unix socket the connection also gets a <see cref="ManagerChannel"/>: a shared-memory channel
/// that carries blocking calls without a socket round trip (and its cross-core wake-up). A blocking
/// call takes it when no pipelined call of this connection is still in flight (so calls stay in the
/// order they were made: read-your-writes holds) and no other thread of this process is using it;
/// otherwise the call goes on the socket as before. Blocking calls are synchronous either way: when
/// one returns, the manager has run it.
/// </remarks>
internal sealed class ManagerClient : IDisposable
{
    private static readonly ConcurrentDictionary<string, ManagerClient> s_shared = new();

    private readonly Socket _socket;
    private readonly Lock _sendGate = new();
    private ArrayBufferWriter<byte> _out = new(4096);
    private readonly ConcurrentDictionary<int, TaskCompletionSource<object?>> _pending = new();
    private readonly Lock _channelGate = new();
    private ArrayBufferWriter<byte> _channelOut = new(4096);
    private readonly object _channelReplyGate = new();
    private ManagerChannel? _channel;
    private byte[] _channelIn = new byte[4096];
    private volatile int _channelCallId;
    private object?[]? _channelSocketReply;
    private int _inFlight;
    private int _nextId;
    private volatile Exception? _broken;

    private ManagerClient(string address, byte[] authKey)
    {
        Address = address;
        AuthKey = authKey;
        _socket = Open(address);
        try
        {
            ManagerWire.AnswerChallenge(_socket, authKey, address);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        new Thread(ReadLoop) { IsBackground = true, Name = "plexus-manager-client" }.Start();
        if (_socket.AddressFamily == AddressFamily.Unix)
        {
            AttachChannel();
        }
    }

    /// <summary>Pipelined calls sent and not answered yet (blocking calls use the channel only at zero).</summary>
    internal int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>True when blocking calls of this connection can use shared memory.</summary>
    internal bool HasChannel => _channel is { IsDisposed: false };

    /// <summary>Creates the shared-memory channel and hands its descriptor to the manager (SCM_RIGHTS on the authenticated socket).</summary>
    private void AttachChannel()
    {
        ManagerChannel channel;
        try
        {
            channel = ManagerChannel.Create();
        }
        catch (ErrnoException)
        {
            return; // no memfd to be had (a descriptor limit): blocking calls stay on the socket
        }
        try
        {
            int id = Interlocked.Increment(ref _nextId);
            TaskCompletionSource<object?> reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Increment(ref _inFlight);
            _pending[id] = reply;
            try
            {
                lock (_sendGate)
                {
                    _out.ResetWrittenCount();
                    ManagerWire.WriteFrame(_out, [id, 0, ManagerOperations.Attach, Array.Empty<object?>()]);
                    Descriptors.SendWithDescriptors((int)_socket.Handle, _out.WrittenSpan, [channel.Descriptor]);
                }
            }
            catch (ErrnoException e)
            {
                if (_pending.TryRemove(id, out _))
                {
                    Interlocked.Decrement(ref _inFlight);
                }
                Break(e);
                throw Gone(e);
            }
            reply.Task.GetAwaiter().GetResult();
            channel.ReleaseDescriptor();
            _channel = channel;
        }
        catch (Exception e) when (e is not ManagerConnectionException)
        {
            // The manager refused the channel (it could not map it, or it predates channels): blocking calls stay on the socket.
            channel.Dispose();
        }
        catch
        {
            channel.Dispose();
            _socket.Dispose();
            throw;
        }
    }

    public string Address { get; }

    public byte[] AuthKey { get; }

    /// <summary>The connection of this process to <paramref name="address"/>, opened on first use.</summary>
    public static ManagerClient For(string address, byte[] authKey)
    {
        string key = address + "|" + Convert.ToHexString(authKey);
        while (true)
        {
            if (s_shared.TryGetValue(key, out ManagerClient? existing) && existing._broken is null)
            {
                return existing;
            }
            ManagerClient fresh = new(address, authKey);
            if (existing is null ? s_shared.TryAdd(key, fresh) : s_shared.TryUpdate(key, fresh, existing))
            {
                return fresh;
            }
            fresh.Dispose();
        }
    }

    /// <summary>A connection of its own (not shared), e.g. for a manager's owner.</summary>
    public static ManagerClient Open(string address, byte[] authKey, bool shared)
    {
        if (shared)
        {
            return For(address, authKey);
        }
        return new ManagerClient(address, authKey);
    }

    private static Socket Open(string address)
    {
        try
        {
            return ProcessAddress.Connect(address);
        }
        catch (SocketException e)
        {
            throw new ManagerConnectionException($"cannot connect to the manager at {address}: {e.Message}. Is the manager running?", e);
        }
    }

    /// <summary>Sends a call and returns its pending reply.</summary>
    /// <exception cref="ManagerMessageTooLargeException">The call is over <see cref="ManagerWire.MaxFrame"/> (nothing was sent).</exception>
    public Task<object?> CallAsync(int objectId, string method, object?[] args) => Send(objectId, method, args, out _);

    /// <summary>Sends a call; <paramref name="id"/> is its call id (what <see cref="ManagerOperations.Cancel"/> names).</summary>
    private Task<object?> Send(int objectId, string method, object?[] args, out int id)
    {
        if (_broken is { } broken)
        {
            throw Gone(broken);
        }
        TaskCompletionSource<object?> reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
        id = Interlocked.Increment(ref _nextId);
        Interlocked.Increment(ref _inFlight);
        _pending[id] = reply;
        try
        {
            lock (_sendGate)
            {
                _out.ResetWrittenCount();
                ManagerWire.WriteFrame(_out, [id, objectId, method, ManagedProxy.ToWire(args)]);
                // The manager drops a connection that sends a frame over the limit (it cannot tell it from a
                // corrupt one), so an oversized call fails here, alone.
                ThrowIfTooLarge(ref _out, method);
                _socket.Send(_out.WrittenSpan);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            if (_pending.TryRemove(id, out _))
            {
                Interlocked.Decrement(ref _inFlight);
            }
            Break(e);
            throw Gone(e);
        }
        catch
        {
            // Nothing was sent (an argument cannot be serialized, or the call is too big): this call is not in flight.
            if (_pending.TryRemove(id, out _))
            {
                Interlocked.Decrement(ref _inFlight);
            }
            throw;
        }
        if (_broken is { } late && _pending.TryRemove(id, out _))
        {
            Interlocked.Decrement(ref _inFlight);
            throw Gone(late);
        }
        return reply.Task;
    }

    /// <summary>A blocking call: the reply's value, or the manager's exception rethrown here.</summary>
    public object? Call(int objectId, string method, params object?[] args)
    {
        // The channel only when no pipelined call is in flight: a blocking call must not overtake them.
        if (_channel is { } channel && Volatile.Read(ref _inFlight) == 0 && _channelGate.TryEnter())
        {
            try
            {
                if (!channel.IsDisposed && Volatile.Read(ref _inFlight) == 0 && TryCallOnChannel(channel, objectId, method, args, out object? result))
                {
                    return result;
                }
            }
            finally
            {
                _channelGate.Exit();
            }
        }
        return Result(CallAsync(objectId, method, args));
    }

    /// <summary>Waits for a sent call's reply: its value, or its exception rethrown here.</summary>
    private static object? Result(Task<object?> call)
    {
        try
        {
            return call.GetAwaiter().GetResult();
        }
        catch (ManagerConnectionException e)
        {
            // Rethrown fresh so the stack shows the caller, not the reader thread.
            throw new ManagerConnectionException(e.Message, e);
        }
    }

    /// <summary>
    /// A call that may wait in the manager (a queue's get, a lock's acquire), given up after
    /// <paramref name="timeout"/> or when <paramref name="cancellationToken"/> is cancelled. Giving up asks
    /// the manager to drop the waiting call and still takes its final answer, so a result the manager sent
    /// meanwhile (an item, the lock) is returned rather than lost. Such calls go on the socket, where a
    /// cancellation can overtake them; with neither a timeout nor a token this is <see cref="Call"/>.
    /// </summary>
    /// <returns>True with the call's result; false when the timeout expired first.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public bool TryCallWaiting(int objectId, string method, object?[] args, TimeSpan timeout, CancellationToken cancellationToken, out object? result)
    {
        CheckTimeout(timeout);
        if (timeout == Timeout.InfiniteTimeSpan && !cancellationToken.CanBeCanceled)
        {
            result = Call(objectId, method, args);
            return true;
        }
        cancellationToken.ThrowIfCancellationRequested();
        Task<object?> call = Send(objectId, method, args, out int id);
        bool gaveUp = false;
        try
        {
            gaveUp = !call.Wait(timeout, cancellationToken);
        }
        catch (OperationCanceledException) when (!call.IsCompleted)
        {
            gaveUp = true;
        }
        catch (AggregateException)
        {
            // The call itself failed: rethrown by Result below.
        }
        if (gaveUp)
        {
            GiveUp(objectId, id);
        }
        try
        {
            result = Result(call);
            return true;
        }
        catch (OperationCanceledException) when (gaveUp)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result = null;
            return false;
        }
    }

    /// <summary>The asynchronous <see cref="TryCallWaiting"/>: (false, null) when the timeout expired first.</summary>
    public async Task<(bool Done, object? Result)> CallWaitingAsync(int objectId, string method, object?[] args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        CheckTimeout(timeout);
        cancellationToken.ThrowIfCancellationRequested();
        Task<object?> call = Send(objectId, method, args, out int id);
        bool gaveUp = false;
        try
        {
            await call.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException && !call.IsCompleted)
        {
            gaveUp = true;
            GiveUp(objectId, id);
        }
        catch (Exception) when (call.IsCompleted)
        {
            // The call itself failed: rethrown by the await below.
        }
        try
        {
            return (true, await call.ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (gaveUp)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return (false, null);
        }
    }

    private static void CheckTimeout(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "the timeout must be zero or more, or Timeout.InfiniteTimeSpan");
        }
    }

    /// <summary>Asks the manager to drop the waiting call <paramref name="callId"/>; its own reply is not awaited (the waiting call's is).</summary>
    private void GiveUp(int objectId, int callId)
    {
        try
        {
            _ = CallAsync(objectId, ManagerOperations.Cancel, [callId]).ContinueWith(
                static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
        catch (ManagerConnectionException)
        {
            // The connection broke: the waiting call fails with it.
        }
    }

    /// <summary>One call through the channel (the caller holds <see cref="_channelGate"/>); false when the request is too big for it.</summary>
    private bool TryCallOnChannel(ManagerChannel channel, int objectId, string method, object?[] args, out object? result)
    {
        _channelOut.ResetWrittenCount();
        int id = Interlocked.Increment(ref _nextId);
        ManagerWire.WriteFrame(_channelOut, [id, objectId, method, ManagedProxy.ToWire(args)]);
        ThrowIfTooLarge(ref _channelOut, method);
        if (_channelOut.WrittenCount > channel.Capacity)
        {
            result = null;
            return false;
        }
        if (_broken is { } broken)
        {
            throw Gone(broken);
        }
        _channelSocketReply = null;
        _channelCallId = id;
        object?[] reply;
        try
        {
            unsafe
            {
                _channelOut.WrittenSpan.CopyTo(new Span<byte>(channel.Data, channel.Capacity));
                channel.PostRequest();
                int state = channel.AwaitReply();
                if (state == ManagerChannel.Reply)
                {
                    int length = BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(channel.Data, 4));
                    if (length < 0 || length > channel.Capacity - 4)
                    {
                        InvalidDataException bad = new($"the manager wrote a reply of {length} bytes in the shared channel");
                        channel.MarkIdle();
                        Break(bad);
                        throw Gone(bad);
                    }
                    if (_channelIn.Length < length)
                    {
                        _channelIn = new byte[Math.Max(length, _channelIn.Length * 2)];
                    }
                    new ReadOnlySpan<byte>(channel.Data + 4, length).CopyTo(_channelIn);
                    channel.MarkIdle();
                    reply = (object?[])PlexusSerializer.Deserialize<object?>(_channelIn.AsMemory(0, length))!;
                }
                else if (state == ManagerChannel.ReplyOnSocket)
                {
                    channel.MarkIdle();
                    reply = AwaitSocketReply();
                }
                else
                {
                    Exception cause = _broken ?? new ObjectDisposedException(nameof(ManagerClient), "the connection was closed");
                    throw Gone(cause);
                }
            }
        }
        finally
        {
            _channelCallId = 0;
        }
        result = Finish(reply);
        return true;
    }

    /// <summary>The reply of the channel's call that the manager sent on the socket (it was too big).</summary>
    private object?[] AwaitSocketReply()
    {
        lock (_channelReplyGate)
        {
            while (_channelSocketReply is null)
            {
                if (_broken is { } broken)
                {
                    throw Gone(broken);
                }
                Monitor.Wait(_channelReplyGate, 100);
            }
            object?[] reply = _channelSocketReply;
            _channelSocketReply = null;
            return reply;
        }
    }

    /// <summary>Fails a call whose frame (just written to <paramref name="frame"/>) is over the limit, and frees the oversized buffer.</summary>
    private static void ThrowIfTooLarge(ref ArrayBufferWriter<byte> frame, string method)
    {
        int length = frame.WrittenCount - 4;
        if (length > ManagerWire.MaxFrame)
        {
            frame = new ArrayBufferWriter<byte>(4096);
            throw ManagerMessageTooLargeException.ForCall(method, length);
        }
    }

    private object? Finish(object?[] reply)
    {
        if (reply[1] is true)
        {
            return ManagedProxy.FromWire(reply[2], this);
        }
        object?[] error = (object?[])reply[2]!;
        throw RemoteError.Rebuild((string)error[0]!, (string)error[1]!, Address);
    }

    private ManagerConnectionException Gone(Exception cause) => new(
        $"the manager at {Address} is gone (its process ended or the connection broke: {cause.Message}); " +
        "proxies of a stopped manager cannot be used", cause);

    private void ReadLoop()
    {
        var frames = new FrameReader(_socket.Receive);
        try
        {
            while (true)
            {
                if (!frames.Fill())
                {
                    throw new EndOfStreamException("the manager closed the connection");
                }
                while (frames.Next() is { } frame)
                {
                    Complete(frame);
                }
            }
        }
        catch (Exception e)
        {
            Break(e);
        }
    }

    private void Complete(ReadOnlyMemory<byte> frame)
    {
        object?[] reply = (object?[])PlexusSerializer.Deserialize<object?>(frame)!;
        int id = Convert.ToInt32(reply[0], System.Globalization.CultureInfo.InvariantCulture);
        if (!_pending.TryRemove(id, out TaskCompletionSource<object?>? waiter))
        {
            if (id != 0 && id == _channelCallId)
            {
                lock (_channelReplyGate)
                {
                    _channelSocketReply = reply;
                    Monitor.PulseAll(_channelReplyGate);
                }
            }
            return;
        }
        Interlocked.Decrement(ref _inFlight);
        if (reply[1] is true)
        {
            waiter.SetResult(ManagedProxy.FromWire(reply[2], this));
        }
        else
        {
            object?[] error = (object?[])reply[2]!;
            waiter.SetException(RemoteError.Rebuild((string)error[0]!, (string)error[1]!, Address));
        }
    }

    private void Break(Exception cause)
    {
        _broken ??= cause;
        foreach (int id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out TaskCompletionSource<object?>? waiter))
            {
                Interlocked.Decrement(ref _inFlight);
                waiter.TrySetException(Gone(cause));
            }
        }
        try
        {
            _socket.Dispose();
        }
        catch (ObjectDisposedException)
        {
        }
        if (_channel is { } channel)
        {
            // Wake a call waiting in the channel; unmap only once it has left (it holds the gate).
            channel.Close();
            lock (_channelReplyGate)
            {
                Monitor.PulseAll(_channelReplyGate);
            }
            lock (_channelGate)
            {
                channel.Dispose();
            }
        }
    }

    public void Dispose() => Break(new ObjectDisposedException(nameof(ManagerClient), "the connection was closed by its owner"));
}
