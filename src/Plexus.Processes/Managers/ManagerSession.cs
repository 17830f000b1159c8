using System.Buffers;
using System.Net.Sockets;
using Plexus.Native;

namespace Plexus.Processes;

/// <summary>
/// The manager's side of one client connection: serves the requests that arrive on its socket (on a
/// thread of its own) and queues their replies, which go out in one write per batch of requests.
/// Replies to waiting calls (a queue's get, a lock's acquire) may be written from other connections'
/// threads, so replies are sent under <see cref="SendGate"/>.
/// </summary>
internal class ManagerSession(Socket socket)
{
    private static readonly Microsoft.Extensions.Logging.ILogger s_log = PlexusLogging.For<ProcessManager>();

    private readonly List<int> _descriptors = [];
    private ArrayBufferWriter<byte> _scratch = new(256);

    public Socket Socket { get; } = socket;

    /// <summary>Set once the client is gone: nothing more is run or answered for it.</summary>
    public volatile bool Dead;

    /// <summary>The shared-memory channel of this connection, once attached.</summary>
    public ManagerChannelSession? ChannelSession { get; set; }

    /// <summary>The connection as a whole (what holds a lock): the socket's session, for the channel's too.</summary>
    public virtual ManagerSession Connection => this;

    protected Lock SendGate { get; } = new();

    protected ArrayBufferWriter<byte> Out { get; } = new(4096);

    /// <summary>Serves the socket until the client goes away or the manager stops, then cleans up.</summary>
    public void Serve(ManagerServer server, byte[] authKey)
    {
        try
        {
            Socket.ReceiveTimeout = 10_000;
            if (!ManagerWire.DeliverChallenge(Socket, authKey))
            {
                PlexusLog.ManagerConnectionRefused(s_log, Peer());
                return;
            }
            Socket.ReceiveTimeout = 0;
            var frames = new FrameReader(Receive);
            while (frames.Fill())
            {
                // An oversized or corrupt header throws InvalidDataException: that drops this client, the others are served.
                while (frames.Next() is { } frame)
                {
                    if (!server.Handle(this, frame))
                    {
                        PlexusLog.ManagerSessionFailed(s_log, "it sent a malformed request", null);
                        return;
                    }
                }
                // Every reply of this batch of requests goes out in one write.
                Flush();
                if (server.Stopping)
                {
                    return;
                }
            }
        }
        catch (InvalidDataException e)
        {
            PlexusLog.ManagerSessionFailed(s_log, e.Message, e);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            PlexusLog.ManagerSessionEnded(s_log, e.Message);
        }
        finally
        {
            server.Closed(this);
            if (ChannelSession is { } channel)
            {
                server.Closed(channel);
            }
            CloseDescriptors();
            Socket.Dispose();
        }
    }

    /// <summary>
    /// Queues the reply to <paramref name="callId"/>. A result that cannot cross, or whose frame is over
    /// <see cref="ManagerWire.MaxFrame"/> (the client would have to drop the connection), becomes an error
    /// reply to that call alone.
    /// </summary>
    public void Reply(int callId, bool ok, object? value, string? operation = null)
    {
        lock (SendGate)
        {
            _scratch.ResetWrittenCount();
            try
            {
                ManagerWire.WriteFrame(_scratch, [callId, ok, ManagerObjectTable.ToWire(value)]);
                if (_scratch.WrittenCount - 4 > ManagerWire.MaxFrame)
                {
                    Exception tooLarge = ManagerMessageTooLargeException.ForReply(operation, _scratch.WrittenCount - 4);
                    _scratch = new ArrayBufferWriter<byte>(256); // not kept at the oversized capacity
                    ManagerWire.WriteFrame(_scratch, [callId, false, RemoteError.Describe(tooLarge)]);
                }
            }
            catch (MessagePack.MessagePackSerializationException e)
            {
                _scratch.ResetWrittenCount();
                ManagerWire.WriteFrame(_scratch, [callId, false, RemoteError.Describe(new NotSupportedException(
                    $"the result cannot cross to another process: {(e.InnerException ?? e).Message}"))]);
            }
            Out.Write(_scratch.WrittenSpan);
        }
    }

    /// <summary>Sends the queued replies.</summary>
    public virtual void Flush()
    {
        lock (SendGate)
        {
            if (Out.WrittenCount == 0)
            {
                return;
            }
            SendNow(Out.WrittenSpan);
            Out.ResetWrittenCount();
        }
    }

    /// <summary>Sends whole frames on the socket at once (callers may hold another session's gate).</summary>
    public void SendNow(ReadOnlySpan<byte> frames)
    {
        lock (SendGate)
        {
            try
            {
                Socket.Send(frames);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                Dead = true;
            }
        }
    }

    /// <summary>Who is at the other end, for log messages.</summary>
    private string Peer()
    {
        try
        {
            return Socket.RemoteEndPoint?.ToString() is { Length: > 0 } peer ? peer : "a local process";
        }
        catch (SocketException)
        {
            return "a peer that is gone";
        }
    }

    /// <summary>Reads from the socket; on a Unix socket with <c>recvmsg</c>, keeping descriptors the client sent.</summary>
    private int Receive(Span<byte> buffer)
    {
        if (Socket.AddressFamily != AddressFamily.Unix)
        {
            return Socket.Receive(buffer);
        }
        int fd = (int)Socket.Handle;
        while (true)
        {
            try
            {
                int n = Descriptors.ReceiveWithDescriptors(fd, buffer, _descriptors);
                if (_descriptors.Count > 4)
                {
                    throw new IOException("the client sent more descriptors than a manager connection uses");
                }
                return n;
            }
            catch (ErrnoException e) when (e.Errno == Errnos.EAGAIN)
            {
                Descriptors.WaitReadable(fd, -1);
            }
            catch (ErrnoException e) when (e.Errno == Errnos.ECONNRESET)
            {
                return 0;
            }
        }
    }

    /// <summary>The last descriptor the client sent (others are closed), or null.</summary>
    public int? TakeDescriptor()
    {
        if (_descriptors.Count == 0)
        {
            return null;
        }
        int fd = _descriptors[^1];
        _descriptors.RemoveAt(_descriptors.Count - 1);
        CloseDescriptors();
        return fd;
    }

    /// <summary>Ends the connection (the socket thread then cleans up).</summary>
    public void Drop()
    {
        Dead = true;
        try
        {
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Closes descriptors the client sent and nothing took (only the socket thread touches them).</summary>
    private void CloseDescriptors()
    {
        foreach (int fd in _descriptors)
        {
            Descriptors.Close(fd);
        }
        _descriptors.Clear();
    }
}
