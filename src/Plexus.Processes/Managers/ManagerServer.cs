using System.Net.Sockets;
using Plexus.Native;
using Plexus.Processes.Serialization;
using Ops = Plexus.Processes.ManagerOperations;

namespace Plexus.Processes;

/// <summary>
/// The manager process's server (Python's <c>managers.Server</c>): accepts authenticated connections,
/// serves each on its own thread (<see cref="ManagerSession"/>), and runs every call on the objects it
/// holds (<see cref="ManagerObjectTable"/>) under one lock. Calls that must wait (a lock's acquire, a
/// queue's get) are answered later, so a waiting call never blocks other calls of the same connection.
/// A Unix-socket client may attach a shared-memory <see cref="ManagerChannel"/>; a second thread
/// (<see cref="ManagerChannelSession"/>) then serves its blocking calls from there.
/// </summary>
internal sealed class ManagerServer
{
    private readonly Lock _gate = new();
    private readonly ManagerObjectTable _objects;
    private readonly byte[] _authKey;
    private readonly HashSet<ManagerSession> _sessions = [];
    // Resolved up front: at the descriptor limit, loading the logging assembly for the first time would fail.
    private readonly Microsoft.Extensions.Logging.ILogger _log = PlexusLogging.For<ProcessManager>();
    private readonly TaskCompletionSource _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ManagerServer(byte[] authKey, string[] registrations)
    {
        _authKey = authKey;
        Dictionary<string, Type> registered = [];
        foreach (string entry in registrations)
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            // The registrations come from the manager's owner at start, never from a client.
            registered[entry[..eq]] = Type.GetType(entry[(eq + 1)..], throwOnError: true)!;
        }
        _objects = new ManagerObjectTable(registered);
    }

    /// <summary>True once a client asked the manager to stop: connection threads end after their current batch.</summary>
    public bool Stopping => _stop.Task.IsCompleted;

    /// <summary>The manager process's target: listen, report the address, serve until shut down.</summary>
    internal static void Serve(Connection ready, string address, byte[] authKey, string[] registrations) =>
        Run(address, authKey, registrations, actual =>
        {
            ready.Send(actual);
            ready.Close();
        }, CancellationToken.None);

    /// <summary>
    /// Listens on <paramref name="address"/>, tells <paramref name="listening"/> the actual address, and
    /// serves until a client asks the manager to stop or <paramref name="cancellationToken"/> is cancelled;
    /// then stops accepting, drops every connection and removes a Unix socket file.
    /// </summary>
    internal static void Run(string address, byte[] authKey, string[] registrations, Action<string> listening, CancellationToken cancellationToken)
    {
        ManagerServer server = new(authKey, registrations);
        string? actual = null;
        try
        {
            using Socket listener = ProcessAddress.Listen(address, 512, out actual);
            listening(actual);
            AcceptThread.StartGuarded(listener, "plexus-manager-accept", server.OnClient, server.TurnAway);
            using (cancellationToken.Register(() => server._stop.TrySetResult()))
            {
                server._stop.Task.Wait(CancellationToken.None);
            }
        }
        finally
        {
            server._stop.TrySetResult();
            server.DropAll();
            if (actual is not null && !ProcessAddress.IsTcp(actual))
            {
                File.Delete(actual);
            }
        }
    }

    /// <summary>Starts the thread that serves <paramref name="client"/>; false when no thread could be started (the socket stays open).</summary>
    private bool OnClient(Socket client)
    {
        if (client.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
        {
            client.NoDelay = true;
        }
        ManagerSession session = new(client);
        lock (_sessions)
        {
            if (Stopping)
            {
                client.Dispose();
                return true;
            }
            _sessions.Add(session);
        }
        try
        {
            new Thread(() => session.Serve(this, _authKey)) { IsBackground = true, Name = "plexus-manager-client" }.Start();
            return true;
        }
        catch (OutOfMemoryException)
        {
            // .NET reports a thread it cannot create (at the descriptor or thread limit) as out of memory: the
            // accept thread tries again as descriptors free up, then turns the client away.
            lock (_sessions)
            {
                _sessions.Remove(session);
            }
            return false;
        }
    }

    /// <summary>Tells a client the manager cannot serve it now (out of descriptors or threads), and logs it.</summary>
    private void TurnAway(Socket client)
    {
        string reason = $"it is out of descriptors or threads (pid {Environment.ProcessId}, RLIMIT_NOFILE {FileDescriptorLimit.Soft}); "
            + "close some of its connections or raise its limit (ulimit -n), then connect again";
        ManagerWire.TurnAway(client, reason);
        PlexusLog.ManagerClientRefused(_log, reason);
    }

    /// <summary>Runs one request frame of <paramref name="session"/>; false when it is malformed (the client is then dropped).</summary>
    public bool Handle(ManagerSession session, ReadOnlyMemory<byte> frame)
    {
        int callId, objectId;
        string operation;
        object?[] args;
        try
        {
            if (PlexusSerializer.Deserialize<object?>(frame) is not object?[] { Length: 4 } r
                || r[0] is not int c || r[1] is not int o || r[2] is not string m || r[3] is not object?[] a)
            {
                return false;
            }
            (callId, objectId, operation, args) = (c, o, m, a);
        }
        catch (MessagePack.MessagePackSerializationException)
        {
            return false;
        }
        lock (_gate)
        {
            if (session.Dead)
            {
                // The client is gone (its channel and socket threads race): a lock it would take now would never be released.
                return false;
            }
            try
            {
                object? result = Dispatch(session, callId, objectId, operation, args);
                if (!ReferenceEquals(result, DeferredCall.Pending))
                {
                    session.Reply(callId, true, result, operation);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                session.Reply(callId, false, RemoteError.Describe(e));
            }
        }
        return true;
    }

    private object? Dispatch(ManagerSession session, int callId, int objectId, string operation, object?[] args)
    {
        args = _objects.Resolve(args);
        if (objectId == 0)
        {
            return operation switch
            {
                Ops.Create => _objects.Create(args),
                Ops.Shutdown => Stop(),
                Ops.Ping => Environment.ProcessId,
                Ops.Attach => Attach(session),
                _ => throw new InvalidOperationException($"the manager has no operation '{operation}'"),
            };
        }
        IServedObject target = _objects[objectId];
        return operation == Ops.Cancel
            ? target.Cancel(new DeferredCall(session, OperationArgs.Index(args, 0, operation)))
            : target.Invoke(operation, args, new DeferredCall(session, callId));
    }

    private object? Stop()
    {
        _stop.TrySetResult();
        return null;
    }

    /// <summary>Maps the channel a client sent with its <see cref="Ops.Attach"/> call and starts serving it.</summary>
    private object? Attach(ManagerSession session)
    {
        if (session is ManagerChannelSession || session.ChannelSession is not null)
        {
            throw new InvalidOperationException("this connection already has a shared-memory channel");
        }
        int fd = session.TakeDescriptor()
            ?? throw new InvalidOperationException("attach needs a shared-memory descriptor sent with it (Unix sockets only)");
        ManagerChannelSession channel = new(session, ManagerChannel.Map(fd));
        session.ChannelSession = channel;
        try
        {
            new Thread(() => channel.Serve(this)) { IsBackground = true, Name = "plexus-manager-channel" }.Start();
        }
        catch (OutOfMemoryException)
        {
            // No thread to be had (at the descriptor or thread limit): the client stays on its socket.
            session.ChannelSession = null;
            channel.Channel.Dispose();
            throw new InvalidOperationException("the manager could not start a thread for the shared-memory channel (out of descriptors or threads); this connection stays on its socket");
        }
        return null;
    }

    /// <summary>Ends every connection (when the manager stops in a process that goes on, so no session thread is left behind).</summary>
    private void DropAll()
    {
        lock (_sessions)
        {
            foreach (ManagerSession session in _sessions)
            {
                session.Drop();
            }
        }
    }

    /// <summary>A session ended: its waiting calls are dropped and what it held (a lock) is released.</summary>
    public void Closed(ManagerSession session)
    {
        session.Dead = true;
        if (session is not ManagerChannelSession)
        {
            lock (_sessions)
            {
                _sessions.Remove(session);
            }
        }
        if (session is ManagerChannelSession channel)
        {
            channel.Channel.Close();
        }
        lock (_gate)
        {
            foreach (IServedObject o in _objects.All)
            {
                o.Abandon(session);
            }
        }
    }
}
