using Plexus.Native;
using Plexus.Processes.Serialization;
using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace Plexus.Processes;

/// <summary>
/// The manager process's server (Python's <c>managers.Server</c>): accepts authenticated
/// connections, gives each its own thread, and runs calls on the objects it holds under one lock.
/// Calls that must wait (a lock's acquire, a queue's get) are answered later, so a waiting call
/// never blocks other calls of the same connection. A Unix-socket client may attach a shared-memory
/// mailbox (<see cref="ManagerChannel"/>); a second thread then serves its blocking calls from there.
/// </summary>
internal sealed class ManagerServer
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, object> _objects = [];
    private readonly Dictionary<object, int> _ids = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, int> _named = [];
    private readonly Dictionary<string, Type> _registered = [];
    private readonly Dictionary<Type, string> _kinds = [];
    private readonly byte[] _authKey;
    private readonly TaskCompletionSource _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _nextId;

    private ManagerServer(byte[] authKey, string[] registrations)
    {
        _authKey = authKey;
        foreach (string entry in registrations)
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            // The registrations come from the manager's owner at start, never from a client.
            Type type = Type.GetType(entry[(eq + 1)..], throwOnError: true)!;
            _registered[entry[..eq]] = type;
            _kinds[type] = entry[..eq];
        }
    }

    /// <summary>The manager process's target: listen, report the address, serve until shut down.</summary>
    internal static void Serve(Connection ready, string address, byte[] authKey, string[] registrations)
    {
        ManagerServer server = new(authKey, registrations);
        using Socket listener = Listen(address, out string actual);
        ready.Send(actual);
        ready.Close();
        AcceptThread.Start(listener, "plexus-manager-accept", server.OnClient);
        server._stop.Task.Wait();
        if (!actual.StartsWith("tcp://", StringComparison.Ordinal))
        {
            File.Delete(actual);
        }
    }

    private static Socket Listen(string address, out string actual)
    {
        Socket socket;
        if (address.StartsWith("tcp://", StringComparison.Ordinal))
        {
            Uri uri = new(address);
            socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port));
            actual = $"tcp://{uri.Host}:{((IPEndPoint)socket.LocalEndPoint!).Port}";
        }
        else
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Bind(new UnixDomainSocketEndPoint(address));
            File.SetUnixFileMode(address, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            actual = address;
        }
        socket.Listen(512);
        return socket;
    }

    private void OnClient(Socket client)
    {
        if (client.AddressFamily == AddressFamily.InterNetwork)
        {
            client.NoDelay = true;
        }
        new Thread(() => ServeClient(new Session(client))) { IsBackground = true, Name = "plexus-manager-client" }.Start();
    }

    private void ServeClient(Session session)
    {
        try
        {
            session.Socket.ReceiveTimeout = 10_000;
            if (!ManagerWire.DeliverChallenge(session.Socket, _authKey))
            {
                return;
            }
            session.Socket.ReceiveTimeout = 0;
            var frames = new FrameReader(session.Receive);
            while (true)
            {
                if (!frames.Fill())
                {
                    return;
                }
                // An oversized or corrupt header throws InvalidDataException: that drops this client, the others are served.
                while (frames.Next() is { } frame)
                {
                    if (!Handle(session, frame))
                    {
                        return;
                    }
                }
                // Every reply of this batch of requests goes out in one write.
                session.Flush();
                if (_stop.Task.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or InvalidDataException)
        {
        }
        finally
        {
            Closed(session);
            if (session.Channel is { } channel)
            {
                Closed(channel);
            }
            session.CloseDescriptors();
            session.Socket.Dispose();
        }
    }

    /// <summary>The thread that serves a client's shared-memory mailbox until the client goes away.</summary>
    private void ServeChannel(ChannelSession session)
    {
        ManagerChannel mailbox = session.Mailbox;
        byte[] buffer = new byte[4096];
        try
        {
            while (mailbox.AwaitRequest())
            {
                int length;
                unsafe
                {
                    length = BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(mailbox.Data, 4));
                    if (length < 0 || length > mailbox.Capacity - 4)
                    {
                        return; // a corrupt header: drop this client, keep serving the others
                    }
                    if (buffer.Length < length)
                    {
                        buffer = new byte[Math.Max(length, buffer.Length * 2)];
                    }
                    // Copied out before it is parsed, so the client cannot change it under the parser.
                    new ReadOnlySpan<byte>(mailbox.Data + 4, length).CopyTo(buffer);
                }
                mailbox.MarkBusy();
                if (!Handle(session, buffer.AsMemory(0, length)))
                {
                    return;
                }
                session.Flush();
                if (_stop.Task.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
        }
        finally
        {
            session.Unmap();
            // Ends the client's socket too, so its proxies fail at once rather than wait on a mailbox nobody serves.
            session.Owner.Drop();
        }
    }

    /// <summary>Maps the mailbox a client sent with its <c>attach</c> call and starts serving it.</summary>
    private object? Attach(Session session)
    {
        if (session is ChannelSession || session.Channel is not null)
        {
            throw new InvalidOperationException("this connection already has a shared-memory mailbox");
        }
        int fd = session.TakeDescriptor()
            ?? throw new InvalidOperationException("attach needs a shared-memory descriptor sent with it (Unix sockets only)");
        ChannelSession channel = new(session, ManagerChannel.Map(fd));
        session.Channel = channel;
        new Thread(() => ServeChannel(channel)) { IsBackground = true, Name = "plexus-manager-mailbox" }.Start();
        return null;
    }

    /// <summary>Runs one request; false when the frame is malformed (the client is then dropped).</summary>
    private bool Handle(Session session, ReadOnlyMemory<byte> frame)
    {
        object?[] request;
        try
        {
            if (PlexusSerializer.Deserialize<object?>(frame) is not object?[] { Length: 4 } r
                || r[0] is not int callId || r[1] is not int objectId || r[2] is not string method || r[3] is not object?[] args)
            {
                return false;
            }
            request = r;
        }
        catch (MessagePack.MessagePackSerializationException)
        {
            return false;
        }
        int id = (int)request[0]!;
        lock (_gate)
        {
            if (session.Dead)
            {
                // The client is gone (its mailbox and socket threads race): a lock it would take now would never be released.
                return false;
            }
            try
            {
                object? result = Dispatch(session, id, (int)request[1]!, (string)request[2]!, (object?[])request[3]!, out bool deferred);
                if (!deferred)
                {
                    session.Reply(id, true, ToWire(result));
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                session.Reply(id, false, RemoteError.Describe(e is TargetInvocationException { InnerException: { } inner } ? inner : e));
            }
        }
        return true;
    }

    private object? Dispatch(Session session, int callId, int objectId, string method, object?[] args, out bool deferred)
    {
        deferred = false;
        args = Resolve(args);
        if (objectId == 0)
        {
            return method switch
            {
                "create" => Create(args),
                "shutdown" => Stop(),
                "ping" => Environment.ProcessId,
                "attach" => Attach(session),
                _ => throw new InvalidOperationException($"the manager has no operation '{method}'"),
            };
        }
        if (!_objects.TryGetValue(objectId, out object? target))
        {
            throw new KeyNotFoundException($"the manager holds no object {objectId}");
        }
        switch (target)
        {
            case Dictionary<object, object?> d:
                return DictCall(d, method, args);
            case List<object?> l:
                return ListCall(l, method, args);
            case NamespaceBox ns:
                return DictCall(ns.Attributes, method, args);
            case ValueBox v:
                return method switch
                {
                    "get" => v.Value,
                    "set" => v.Value = Arg(args, 0, method),
                    _ => NoMethod("value", method),
                };
            case QueueBox q:
                return q.Call(session, callId, method, args, out deferred);
            case LockBox lk:
                return lk.Call(session, callId, method, out deferred);
            default:
                return method == "invoke" ? Invoke(target, args) : NoMethod(_kinds[target.GetType()], method);
        }
    }

    private object? Stop()
    {
        _stop.TrySetResult();
        return null;
    }

    private object? Create(object?[] args)
    {
        string kind = Arg(args, 0, "create") as string ?? throw new ArgumentException("create needs a kind name");
        string? name = args.Length > 1 ? args[1] as string : null;
        if (name is not null && _named.TryGetValue(kind + "/" + name, out int existing))
        {
            return _objects[existing];
        }
        object?[] rest = args.Length > 2 ? args[2..] : [];
        object created = kind switch
        {
            "dict" => rest.Length > 0 && rest[0] is Dictionary<object, object?> initial ? new Dictionary<object, object?>(initial) : new Dictionary<object, object?>(),
            "list" => rest.Length > 0 && rest[0] is object?[] items ? new List<object?>(items) : new List<object?>(),
            "namespace" => new NamespaceBox(),
            "value" => new ValueBox { Value = rest.Length > 0 ? rest[0] : null },
            "queue" => new QueueBox(),
            "lock" => new LockBox(),
            _ when _registered.TryGetValue(kind, out Type? type) => CreateRegistered(type, rest),
            _ => throw new InvalidOperationException($"the manager has no type registered as '{kind}'; call Register<T>(\"{kind}\") before Start()"),
        };
        int id = Register(created);
        if (name is not null)
        {
            _named[kind + "/" + name] = id;
        }
        return created;
    }

    private static object CreateRegistered(Type type, object?[] args)
    {
        foreach (ConstructorInfo ctor in type.GetConstructors())
        {
            if (TryConvert(ctor.GetParameters(), args, out object?[] converted))
            {
                return ctor.Invoke(converted);
            }
        }
        throw new ArgumentException($"{type.Name} has no public constructor taking ({Describe(args)})");
    }

    private static object? Invoke(object target, object?[] args)
    {
        string method = Arg(args, 0, "invoke") as string ?? throw new ArgumentException("invoke needs a method name");
        object?[] callArgs = args.Length > 1 && args[1] is object?[] a ? a : [];
        MethodInfo[] candidates = [.. target.GetType().GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.Name == method && m.DeclaringType != typeof(object) && !m.IsSpecialName && !m.IsGenericMethodDefinition)];
        if (candidates.Length == 0)
        {
            throw new InvalidOperationException($"{target.GetType().Name} has no public method '{method}'");
        }
        foreach (MethodInfo m in candidates)
        {
            if (TryConvert(m.GetParameters(), callArgs, out object?[] converted))
            {
                return m.Invoke(target, converted);
            }
        }
        throw new ArgumentException(
            $"{target.GetType().Name}.{method} takes ({string.Join(", ", candidates[0].GetParameters().Select(p => p.ParameterType.Name))}), not ({Describe(callArgs)})");
    }

    private static string Describe(object?[] args) => string.Join(", ", args.Select(a => a?.GetType().Name ?? "null"));

    private static bool TryConvert(ParameterInfo[] parameters, object?[] args, out object?[] converted)
    {
        converted = new object?[parameters.Length];
        if (args.Length != parameters.Length)
        {
            return false;
        }
        for (int i = 0; i < args.Length; i++)
        {
            Type p = parameters[i].ParameterType;
            object? a = args[i];
            if (a is null ? !p.IsValueType || Nullable.GetUnderlyingType(p) is not null : p.IsInstanceOfType(a))
            {
                converted[i] = a;
            }
            else if (a is IConvertible && (Nullable.GetUnderlyingType(p) ?? p) is { IsPrimitive: true } target
                     && a.GetType().IsPrimitive && target != typeof(bool) && a is not bool)
            {
                try
                {
                    converted[i] = Convert.ChangeType(a, target, CultureInfo.InvariantCulture);
                }
                catch (OverflowException)
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }
        return true;
    }

    private static object? DictCall(Dictionary<object, object?> d, string method, object?[] args)
    {
        switch (method)
        {
            case "get":
                object key = Key(args, method);
                return d.TryGetValue(key, out object? v) ? v : throw new KeyNotFoundException($"the key {Show(key)} is not in the dictionary");
            case "getdefault":
                return d.TryGetValue(Key(args, method), out object? found) ? found : Arg(args, 1, method);
            case "set":
                d[Key(args, method)] = Arg(args, 1, method);
                return null;
            case "contains":
                return d.ContainsKey(Key(args, method));
            case "remove":
                return d.Remove(Key(args, method));
            case "count":
                return d.Count;
            case "clear":
                d.Clear();
                return null;
            case "increment":
                object k = Key(args, method);
                long delta = Arg(args, 1, method) is long l ? l : throw new ArgumentException("increment's delta must be a long");
                long now = (d.TryGetValue(k, out object? old) ? old switch
                {
                    null => 0,
                    int i => i,
                    long x => x,
                    _ => throw new InvalidCastException($"the value at {Show(k)} is a {old.GetType().Name}, not a number"),
                } : 0) + delta;
                d[k] = old is int && now is >= int.MinValue and <= int.MaxValue ? (int)now : now;
                return now;
            case "update":
                if (Arg(args, 0, method) is not Dictionary<object, object?> entries)
                {
                    throw new ArgumentException("update takes a dictionary");
                }
                foreach (KeyValuePair<object, object?> kv in entries)
                {
                    d[kv.Key] = kv.Value;
                }
                return null;
            case "getmany":
                if (Arg(args, 0, method) is not object?[] keys)
                {
                    throw new ArgumentException("getmany takes an array of keys");
                }
                return keys.Select(x => x is not null && d.TryGetValue(x, out object? y) ? y : null).ToList();
            case "items":
                return new Dictionary<object, object?>(d);
            case "keys":
                return d.Keys.Cast<object?>().ToList();
            case "values":
                return d.Values.ToList();
            default:
                return NoMethod("dictionary", method);
        }
    }

    private static object? ListCall(List<object?> l, string method, object?[] args)
    {
        switch (method)
        {
            case "get":
                return l[Index(args, method)];
            case "set":
                l[Index(args, method)] = Arg(args, 1, method);
                return null;
            case "add":
                l.Add(Arg(args, 0, method));
                return null;
            case "extend":
                l.AddRange(Arg(args, 0, method) as object?[] ?? throw new ArgumentException("extend takes an array"));
                return null;
            case "insert":
                l.Insert(Index(args, method), Arg(args, 1, method));
                return null;
            case "removeat":
                l.RemoveAt(Index(args, method));
                return null;
            case "remove":
                return l.Remove(Arg(args, 0, method));
            case "count":
                return l.Count;
            case "clear":
                l.Clear();
                return null;
            case "items":
                return new List<object?>(l);
            default:
                return NoMethod("list", method);
        }
    }

    private static object? NoMethod(string kind, string method) =>
        throw new InvalidOperationException($"a managed {kind} has no method '{method}'");

    private static object? Arg(object?[] args, int index, string method) => index < args.Length
        ? args[index]
        : throw new ArgumentException($"'{method}' needs {index + 1} argument(s), got {args.Length}");

    private static object Key(object?[] args, string method) =>
        Arg(args, 0, method) ?? throw new ArgumentNullException(null, $"'{method}': a dictionary key cannot be null");

    private static int Index(object?[] args, string method) => Arg(args, 0, method) switch
    {
        int i => i,
        long x when x is >= int.MinValue and <= int.MaxValue => (int)x,
        var other => throw new ArgumentException($"'{method}' needs an int index, not a {other?.GetType().Name ?? "null"}"),
    };

    private static string Show(object key) => key is string s ? $"'{s}'" : Convert.ToString(key, CultureInfo.InvariantCulture) ?? "?";

    private int Register(object created)
    {
        int id = ++_nextId;
        _objects[id] = created;
        _ids[created] = id;
        return id;
    }

    private string KindOf(object o) => o switch
    {
        Dictionary<object, object?> => "dict",
        List<object?> => "list",
        NamespaceBox => "namespace",
        ValueBox => "value",
        QueueBox => "queue",
        LockBox => "lock",
        _ => _kinds[o.GetType()],
    };

    /// <summary>Proxy markers in arguments become the manager's own objects.</summary>
    private object?[] Resolve(object?[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = ResolveValue(args[i]);
        }
        return args;
    }

    private object? ResolveValue(object? value)
    {
        if (ManagedProxy.IsMarker(value, out _, out int id))
        {
            return _objects.TryGetValue(id, out object? o) ? o : throw new KeyNotFoundException($"the manager holds no object {id}");
        }
        switch (value)
        {
            case object?[] array:
                return Resolve(array);
            case Dictionary<object, object?> d:
                foreach (object k in d.Keys.ToList())
                {
                    d[k] = ResolveValue(d[k]);
                }
                return d;
            default:
                return value;
        }
    }

    /// <summary>The manager's own objects in a result become proxy markers (nested ones included).</summary>
    private object? ToWire(object? value)
    {
        if (value is null)
        {
            return null;
        }
        if (_ids.TryGetValue(value, out int id))
        {
            return ManagedProxy.Marker(KindOf(value), id);
        }
        switch (value)
        {
            case List<object?> stored:
                List<object?> list = new(stored);
                for (int i = 0; i < list.Count; i++)
                {
                    if (list[i] is { } item && _ids.ContainsKey(item))
                    {
                        list[i] = ToWire(item);
                    }
                }
                return list;
            case Dictionary<object, object?> storedDict:
                Dictionary<object, object?> dict = new(storedDict);
                foreach (object k in storedDict.Keys)
                {
                    if (dict[k] is { } item && _ids.ContainsKey(item))
                    {
                        dict[k] = ToWire(item);
                    }
                }
                return dict;
            default:
                return value;
        }
    }

    private void Closed(Session session)
    {
        session.Dead = true;
        if (session is ChannelSession channel)
        {
            channel.Mailbox.Close();
        }
        lock (_gate)
        {
            foreach (object o in _objects.Values)
            {
                if (o is LockBox lk && lk.Owner == session)
                {
                    lk.ReleaseFrom(null);
                }
            }
        }
    }

    private sealed class NamespaceBox
    {
        public Dictionary<object, object?> Attributes { get; } = [];
    }

    private sealed class ValueBox
    {
        public object? Value { get; set; }
    }

    private sealed class QueueBox
    {
        private readonly Queue<object?> _items = new();
        private readonly Queue<(Session Session, int CallId)> _waiters = new();

        public object? Call(Session session, int callId, string method, object?[] args, out bool deferred)
        {
            deferred = false;
            switch (method)
            {
                case "put":
                    object? item = Arg(args, 0, method);
                    while (_waiters.TryDequeue(out (Session Session, int CallId) w))
                    {
                        if (!w.Session.Dead)
                        {
                            w.Session.Reply(w.CallId, true, item);
                            w.Session.Flush();
                            return null;
                        }
                    }
                    _items.Enqueue(item);
                    return null;
                case "get":
                    if (_items.TryDequeue(out object? head))
                    {
                        return head;
                    }
                    _waiters.Enqueue((session, callId));
                    deferred = true;
                    return null;
                case "tryget":
                    return _items.TryDequeue(out object? next) ? new object?[] { true, next } : new object?[] { false, null };
                case "count":
                    return _items.Count;
                default:
                    return NoMethod("queue", method);
            }
        }
    }

    private sealed class LockBox
    {
        private readonly Queue<(Session Session, int CallId)> _waiters = new();

        public Session? Owner { get; private set; }

        public object? Call(Session session, int callId, string method, out bool deferred)
        {
            deferred = false;
            switch (method)
            {
                case "acquire":
                    if (Owner is null)
                    {
                        Owner = session;
                        return null;
                    }
                    _waiters.Enqueue((session, callId));
                    deferred = true;
                    return null;
                case "tryacquire":
                    if (Owner is null)
                    {
                        Owner = session;
                        return true;
                    }
                    return false;
                case "release":
                    if (Owner is null)
                    {
                        throw new SynchronizationLockException("the managed lock is not held, so it cannot be released");
                    }
                    ReleaseFrom(session);
                    return null;
                default:
                    return NoMethod("lock", method);
            }
        }

        public void ReleaseFrom(Session? _)
        {
            Owner = null;
            while (_waiters.TryDequeue(out (Session Session, int CallId) w))
            {
                if (!w.Session.Dead)
                {
                    Owner = w.Session;
                    w.Session.Reply(w.CallId, true, null);
                    w.Session.Flush();
                    return;
                }
            }
        }
    }

    /// <summary>One client connection: its socket, its queued replies and any descriptors it sent.</summary>
    private class Session(Socket socket)
    {
        private readonly ArrayBufferWriter<byte> _scratch = new(256);
        private readonly List<int> _descriptors = [];

        public Socket Socket { get; } = socket;

        public volatile bool Dead;

        /// <summary>The shared-memory mailbox of this connection, once attached.</summary>
        public ChannelSession? Channel { get; set; }

        protected Lock SendGate { get; } = new();

        protected ArrayBufferWriter<byte> Out { get; } = new(4096);

        public void Reply(int callId, bool ok, object? value)
        {
            lock (SendGate)
            {
                _scratch.ResetWrittenCount();
                try
                {
                    ManagerWire.WriteFrame(_scratch, [callId, ok, value]);
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

        /// <summary>Reads from the socket; on a Unix socket with <c>recvmsg</c>, keeping descriptors the client sent.</summary>
        public int Receive(Span<byte> buffer)
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
        public void CloseDescriptors()
        {
            foreach (int fd in _descriptors)
            {
                Descriptors.Close(fd);
            }
            _descriptors.Clear();
        }
    }

    /// <summary>The calls a client makes through its shared-memory mailbox; replies go back through it.</summary>
    private sealed class ChannelSession(Session owner, ManagerChannel mailbox) : Session(owner.Socket)
    {
        public Session Owner { get; } = owner;

        public ManagerChannel Mailbox { get; } = mailbox;

        /// <summary>Writes the reply into the mailbox (a deferred one too, from another client's thread), or on the socket when it does not fit.</summary>
        public override unsafe void Flush()
        {
            lock (SendGate)
            {
                if (Out.WrittenCount == 0)
                {
                    return;
                }
                if (!Dead && !Mailbox.IsDisposed)
                {
                    if (Out.WrittenCount <= Mailbox.Capacity)
                    {
                        Out.WrittenSpan.CopyTo(new Span<byte>(Mailbox.Data, Mailbox.Capacity));
                        Mailbox.PostReply();
                    }
                    else
                    {
                        Owner.SendNow(Out.WrittenSpan);
                        Mailbox.PostReplyOnSocket();
                    }
                }
                Out.ResetWrittenCount();
            }
        }

        /// <summary>Unmaps the mailbox once no reply can be writing into it.</summary>
        public void Unmap()
        {
            Dead = true;
            lock (SendGate)
            {
                Mailbox.Dispose();
            }
        }
    }
}
