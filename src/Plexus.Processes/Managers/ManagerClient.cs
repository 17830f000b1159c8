using Plexus.Processes.Serialization;
using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Plexus.Processes;

/// <summary>
/// One authenticated connection to a manager, shared by every proxy of this process for that
/// address. Calls carry ids, so many can be in flight (pipelining); one reader thread completes
/// them. When the manager goes away every pending and later call fails at once.
/// </summary>
internal sealed class ManagerClient : IDisposable
{
    private static readonly ConcurrentDictionary<string, ManagerClient> Shared = new();

    private readonly Socket _socket;
    private readonly Lock _sendGate = new();
    private readonly ArrayBufferWriter<byte> _out = new(4096);
    private readonly ConcurrentDictionary<int, TaskCompletionSource<object?>> _pending = new();
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
    }

    public string Address { get; }

    public byte[] AuthKey { get; }

    /// <summary>The connection of this process to <paramref name="address"/>, opened on first use.</summary>
    public static ManagerClient For(string address, byte[] authKey)
    {
        string key = address + "|" + Convert.ToHexString(authKey);
        while (true)
        {
            if (Shared.TryGetValue(key, out ManagerClient? existing) && existing._broken is null)
            {
                return existing;
            }
            ManagerClient fresh = new(address, authKey);
            if (existing is null ? Shared.TryAdd(key, fresh) : Shared.TryUpdate(key, fresh, existing))
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
        Socket socket;
        EndPoint endPoint;
        if (address.StartsWith("tcp://", StringComparison.Ordinal))
        {
            Uri uri = new(address);
            socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            endPoint = new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port);
        }
        else
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            endPoint = new UnixDomainSocketEndPoint(address);
        }
        try
        {
            socket.Connect(endPoint);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ManagerConnectionException($"cannot connect to the manager at {address}: {e.Message}. Is the manager running?", e);
        }
        return socket;
    }

    /// <summary>Sends a call and returns its pending reply.</summary>
    public Task<object?> CallAsync(int objectId, string method, object?[] args)
    {
        if (_broken is { } broken)
        {
            throw Gone(broken);
        }
        TaskCompletionSource<object?> reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
        int id = Interlocked.Increment(ref _nextId);
        _pending[id] = reply;
        try
        {
            lock (_sendGate)
            {
                _out.ResetWrittenCount();
                ManagerWire.WriteFrame(_out, [id, objectId, method, ManagedProxy.ToWire(args)]);
                _socket.Send(_out.WrittenSpan);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            _pending.TryRemove(id, out _);
            Break(e);
            throw Gone(e);
        }
        if (_broken is { } late && _pending.TryRemove(id, out _))
        {
            throw Gone(late);
        }
        return reply.Task;
    }

    /// <summary>A blocking call: the reply's value, or the manager's exception rethrown here.</summary>
    public object? Call(int objectId, string method, params object?[] args)
    {
        try
        {
            return CallAsync(objectId, method, args).GetAwaiter().GetResult();
        }
        catch (ManagerConnectionException e)
        {
            // Rethrown fresh so the stack shows the caller, not the reader thread.
            throw new ManagerConnectionException(e.Message, e);
        }
    }

    private ManagerConnectionException Gone(Exception cause) => new(
        $"the manager at {Address} is gone (its process ended or the connection broke: {cause.Message}); " +
        "proxies of a stopped manager cannot be used", cause);

    private void ReadLoop()
    {
        byte[] buffer = new byte[64 * 1024];
        int start = 0, end = 0;
        try
        {
            while (true)
            {
                if (start == end)
                {
                    start = end = 0;
                }
                else if (end == buffer.Length)
                {
                    int have = end - start;
                    byte[] target = have * 2 > buffer.Length ? new byte[buffer.Length * 2] : buffer;
                    Buffer.BlockCopy(buffer, start, target, 0, have);
                    buffer = target;
                    start = 0;
                    end = have;
                }
                int n = _socket.Receive(buffer.AsSpan(end));
                if (n == 0)
                {
                    throw new EndOfStreamException("the manager closed the connection");
                }
                end += n;
                while (end - start >= 4)
                {
                    int length = BitConverter.ToInt32(buffer, start);
                    if (length < 0 || length > ManagerWire.MaxFrame)
                    {
                        throw new InvalidDataException($"the manager sent a frame of {length} bytes");
                    }
                    if (end - start - 4 < length)
                    {
                        if (length + 4 > buffer.Length)
                        {
                            byte[] bigger = new byte[length + 4];
                            Buffer.BlockCopy(buffer, start, bigger, 0, end - start);
                            buffer = bigger;
                            end -= start;
                            start = 0;
                        }
                        break;
                    }
                    Complete(buffer.AsMemory(start + 4, length));
                    start += 4 + length;
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
            return;
        }
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
    }

    public void Dispose() => Break(new ObjectDisposedException(nameof(ManagerClient), "the connection was closed by its owner"));
}
