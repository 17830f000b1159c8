using System.Security.Cryptography;

namespace Plexus.Processes;

/// <summary>
/// A manager process that serves shared objects to any process that knows its address and
/// authentication key (Python's <c>multiprocessing.Manager()</c> / <c>BaseManager</c>): dictionaries,
/// lists, namespaces, values, arrays, queues, joinable queues, locks, RLocks, events, conditions,
/// semaphores, barriers and instances of registered types, reached through proxies. Unix socket in an owner-only directory by default, TCP on 127.0.0.1 on request; every
/// connection proves it knows the key with an HMAC-SHA256 challenge. Disposing shuts the server down.
/// </summary>
/// <remarks>
/// <para>
/// Every call is synchronous in the manager's sense: when a blocking call (<c>d[k] = v</c>,
/// <c>l.Add(x)</c>, ...) returns, the manager has run it, so any other process that looks next sees it;
/// its error, if any, is thrown by that call. Calls of one connection run in the order they were made,
/// pipelined ones (<c>SetAsync</c>, <c>AddAsync</c>, ...) included.
/// </para>
/// <para>
/// On a Unix socket each connection also hands the manager (over the authenticated socket, with
/// <c>SCM_RIGHTS</c>) an anonymous shared-memory channel, and blocking calls travel through it: the
/// caller spins briefly (at most 20 µs, and only while that pays) for the reply before sleeping on a
/// futex, so a call costs microseconds rather than a socket round trip and its cross-core wake-up, and
/// idle clients and managers use no CPU. A blocking call made while pipelined calls are still in flight,
/// or while another thread of the process uses the channel, or too big for it (1 MiB), goes on the socket.
/// TCP connections use the socket for everything.
/// </para>
/// <para>
/// One call or reply may take at most <see cref="MaxMessageBytes"/> (16 MiB) on the wire; a bigger one
/// fails alone with <see cref="ManagerMessageTooLargeException"/> and the connection goes on.
/// </para>
/// </remarks>
public sealed class ProcessManager : IDisposable, IAsyncDisposable
{
    /// <summary>
    /// The most bytes one call or one reply may take on the wire (16 MiB, the value's serialized size
    /// plus a few bytes). A bigger call or reply fails with <see cref="ManagerMessageTooLargeException"/>.
    /// </summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>How long a shutdown waits for the manager to answer, and then to exit, before it kills it.</summary>
    private static readonly TimeSpan s_stopWait = TimeSpan.FromSeconds(5);

    private readonly bool _tcp;
    private readonly byte[] _authKey;
    private readonly Dictionary<string, Type> _registered = [];
    private ChildProcess? _server;
    private string? _directory;
    private ManagerClient? _client;
    private string? _address;

    /// <summary>Prepares a manager; call <see cref="Start"/> (after any <see cref="Register{T}(string)"/>).</summary>
    /// <param name="useTcp">Listen on 127.0.0.1 TCP (a free port) instead of a Unix socket.</param>
    /// <param name="authKey">The key clients must prove they know; 32 random bytes when null.</param>
    public ProcessManager(bool useTcp = false, byte[]? authKey = null)
    {
        _tcp = useTcp;
        _authKey = authKey is null ? RandomNumberGenerator.GetBytes(32) : (byte[])authKey.Clone();
        if (_authKey.Length == 0)
        {
            throw new ArgumentException("the authentication key must not be empty", nameof(authKey));
        }
    }

    /// <summary>
    /// Connects to a running manager by address and key (Python's <c>BaseManager(address, authkey).connect()</c>),
    /// on a connection of its own that <see cref="Shutdown"/> closes.
    /// </summary>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The key is wrong or missing.</exception>
    /// <exception cref="ManagerConnectionException">Nothing listens at <paramref name="address"/>, or the manager is out of descriptors and turned the connection away.</exception>
    public static ProcessManager Connect(string address, byte[] authKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        ArgumentNullException.ThrowIfNull(authKey);
        ProcessManager manager = new(ProcessAddress.IsTcp(address), authKey.Length == 0 ? [0] : authKey)
        {
            _address = address,
        };
        // A connection of its own: disposing this manager object closes it without breaking the
        // proxies other parts of this process hold for the same address (the shared connection).
        manager._client = ManagerClient.Open(address, authKey, shared: false);
        return manager;
    }

    /// <summary>The address clients connect to: a socket path, or <c>tcp://HOST:PORT</c>.</summary>
    public string Address => _address ?? throw new InvalidOperationException("the manager is not started; call Start() first");

    /// <summary>A copy of the authentication key.</summary>
    public byte[] AuthKey => (byte[])_authKey.Clone();

    /// <summary>The manager server's pid, or null for a manager reached with <see cref="Connect"/>.</summary>
    public int? ServerPid => _server?.Pid;

    /// <summary>
    /// Registers <typeparamref name="T"/> under <paramref name="name"/> so <see cref="Create"/> makes
    /// instances in the manager whose public methods are called through a <see cref="ManagedObject"/>
    /// (Python's <c>BaseManager.register(typeid, callable)</c>). Call before <see cref="Start"/>.
    /// </summary>
    public ProcessManager Register<T>(string name) where T : class
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (_server is not null || _client is not null)
        {
            throw new InvalidOperationException("register types before Start(): the manager process loads them when it starts");
        }
        if (ManagerKinds.IsBuiltIn(name) || name.Contains('=', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{name}' is reserved or not a valid name; pick another", nameof(name));
        }
        _registered[name] = typeof(T);
        return this;
    }

    /// <summary>Starts the manager process and waits until it listens (Python's <c>manager.start()</c>).</summary>
    public ProcessManager Start()
    {
        if (_server is not null || _client is not null)
        {
            throw new InvalidOperationException("the manager is already started");
        }
        string address;
        if (_tcp)
        {
            address = "tcp://127.0.0.1:0";
        }
        else
        {
            // CreateTempSubdirectory makes the directory 0700, so only this user can reach the socket.
            _directory = Directory.CreateTempSubdirectory("plexus-mgr-").FullName;
            address = Path.Combine(_directory, "manager.sock");
        }
        string[] registrations = Registrations();
        (Connection mine, Connection theirs) = ProcessPipe.Create();
        using (mine)
        {
            _server = ChildProcess.Create(ManagerServer.Serve, theirs, address, _authKey, registrations);
            _server.Name = "ManagerProcess";
            _server.Start();
            try
            {
                if (!mine.TryReceive(TimeSpan.FromSeconds(60), out string? actual) || actual is null)
                {
                    throw new InvalidOperationException("the manager process did not start listening within 60 s");
                }
                _address = actual;
            }
            catch (EndOfStreamException e)
            {
                _server.Join(TimeSpan.FromSeconds(5));
                throw new InvalidOperationException($"the manager process ended before listening: {_server.Error?.Message ?? "exit code " + _server.ExitCode}", e);
            }
        }
        _client = ManagerClient.For(_address, _authKey);
        return this;
    }

    /// <summary>
    /// Makes this process the manager: listens on <paramref name="address"/> and serves clients until
    /// <paramref name="cancellationToken"/> is cancelled (Python's <c>manager.get_server().serve_forever()</c>,
    /// the remote-manager recipe); clients reach it with <see cref="Connect"/>, and their
    /// <see cref="Shutdown"/> closes only their own connection. Objects live in this process; clients find shared ones by name
    /// (<see cref="GetOrCreateDictionary"/>, <see cref="GetOrCreateQueue"/>, ...).
    /// </summary>
    /// <param name="address">
    /// <c>tcp://0.0.0.0:50000</c> (every IPv4 interface), <c>tcp://[::]:50000</c>, <c>tcp://HOST:PORT</c> for one
    /// interface (port 0 picks a free one), or a Unix socket path (made 0600). The key is checked with an
    /// HMAC challenge, but the wire is not encrypted: across hosts, put it behind TLS or an SSH tunnel
    /// (docs/managers.md).
    /// </param>
    /// <param name="listening">Called once with the address clients pass to <see cref="Connect"/> (the port filled in).</param>
    /// <param name="cancellationToken">Stops serving: the listener closes and every connection is dropped.</param>
    /// <exception cref="System.Net.Sockets.SocketException">The address is in use or not one of this host's.</exception>
    public void ServeForever(string address, Action<string>? listening = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        if (_server is not null || _client is not null)
        {
            throw new InvalidOperationException("this manager is already started or connected; use a new ProcessManager to serve");
        }
        string[] registrations = Registrations();
        ManagerServer.Run(address, _authKey, registrations, actual =>
        {
            _address = actual;
            listening?.Invoke(actual);
        }, cancellationToken);
    }

    private string[] Registrations() => [.. _registered.Select(kv => kv.Key + "=" + kv.Value.AssemblyQualifiedName)];

    private ManagerClient Client => _client ?? throw new InvalidOperationException("the manager is not started; call Start() first");

    private T Make<T>(string kind, string? name, params object?[] rest) where T : ManagedProxy =>
        (T)Client.Call(0, ManagerOperations.Create, [kind, name, .. rest])!;

    /// <summary>A new shared dictionary (Python's <c>manager.dict()</c>).</summary>
    public ManagedDictionary CreateDictionary(IEnumerable<KeyValuePair<object, object?>>? initial = null) =>
        Make<ManagedDictionary>(ManagerKinds.Dictionary, null, initial?.ToDictionary(kv => kv.Key, kv => kv.Value));

    /// <summary>The dictionary called <paramref name="name"/> in this manager, made on first use (so other processes can find it).</summary>
    public ManagedDictionary GetOrCreateDictionary(string name) => Make<ManagedDictionary>(ManagerKinds.Dictionary, name);

    /// <summary>A new shared list (Python's <c>manager.list()</c>).</summary>
    public ManagedList CreateList(IEnumerable<object?>? initial = null) => Make<ManagedList>(ManagerKinds.List, null, (object?)initial?.ToArray());

    /// <summary>The list called <paramref name="name"/> in this manager, made on first use.</summary>
    public ManagedList GetOrCreateList(string name) => Make<ManagedList>(ManagerKinds.List, name);

    /// <summary>A new shared namespace (Python's <c>manager.Namespace()</c>).</summary>
    public ManagedNamespace CreateNamespace() => Make<ManagedNamespace>(ManagerKinds.Namespace, null);

    /// <summary>A new shared value (Python's <c>manager.Value(typecode, value)</c>).</summary>
    public ManagedValue<T> CreateValue<T>(T initial)
    {
        ManagedProxy p = Make<ManagedProxy>(ManagerKinds.Value, null, initial);
        return new ManagedValue<T>(p.Client, p.Id);
    }

    /// <summary>A new shared FIFO queue (Python's <c>manager.Queue()</c>).</summary>
    public ManagedQueue CreateQueue() => Make<ManagedQueue>(ManagerKinds.Queue, null);

    /// <summary>The queue called <paramref name="name"/> in this manager, made on first use.</summary>
    public ManagedQueue GetOrCreateQueue(string name) => Make<ManagedQueue>(ManagerKinds.Queue, name);

    /// <summary>A new shared lock (Python's <c>manager.Lock()</c>).</summary>
    public ManagedLock CreateLock() => Make<ManagedLock>(ManagerKinds.Lock, null);

    /// <summary>The lock called <paramref name="name"/> in this manager, made on first use.</summary>
    public ManagedLock GetOrCreateLock(string name) => Make<ManagedLock>(ManagerKinds.Lock, name);

    /// <summary>A new shared re-entrant lock (Python's <c>manager.RLock()</c>).</summary>
    public ManagedRLock CreateRLock() => Make<ManagedRLock>(ManagerKinds.RLock, null);

    /// <summary>The re-entrant lock called <paramref name="name"/> in this manager, made on first use.</summary>
    public ManagedRLock GetOrCreateRLock(string name) => Make<ManagedRLock>(ManagerKinds.RLock, name);

    /// <summary>A new shared event, clear at first (Python's <c>manager.Event()</c>).</summary>
    public ManagedEvent CreateEvent() => Make<ManagedEvent>(ManagerKinds.Event, null);

    /// <summary>The event called <paramref name="name"/> in this manager, made on first use.</summary>
    public ManagedEvent GetOrCreateEvent(string name) => Make<ManagedEvent>(ManagerKinds.Event, name);

    /// <summary>A new shared condition variable with a re-entrant lock of its own (Python's <c>manager.Condition()</c>).</summary>
    public ManagedCondition CreateCondition() => Make<ManagedCondition>(ManagerKinds.Condition, null);

    /// <summary>The condition variable called <paramref name="name"/> in this manager, made on first use.</summary>
    public ManagedCondition GetOrCreateCondition(string name) => Make<ManagedCondition>(ManagerKinds.Condition, name);

    /// <summary>A new shared semaphore with <paramref name="initialCount"/> permits (Python's <c>manager.Semaphore(n)</c>).</summary>
    public ManagedSemaphore CreateSemaphore(int initialCount = 1) => Make<ManagedSemaphore>(ManagerKinds.Semaphore, null, initialCount);

    /// <summary>
    /// A new shared semaphore with <paramref name="initialCount"/> permits that refuses to go above it
    /// (Python's <c>manager.BoundedSemaphore(n)</c>): an extra release throws <see cref="SemaphoreFullException"/>.
    /// </summary>
    public ManagedSemaphore CreateBoundedSemaphore(int initialCount = 1) => Make<ManagedSemaphore>(ManagerKinds.BoundedSemaphore, null, initialCount);

    /// <summary>A new shared barrier for <paramref name="parties"/> parties (Python's <c>manager.Barrier(parties)</c>).</summary>
    public ManagedBarrier CreateBarrier(int parties) => Make<ManagedBarrier>(ManagerKinds.Barrier, null, parties);

    /// <summary>A new shared fixed-length array holding <paramref name="items"/> (Python's <c>manager.Array(typecode, seq)</c>).</summary>
    public ManagedArray<T> CreateArray<T>(IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        ManagedProxy p = Make<ManagedProxy>(ManagerKinds.Array, null, (object)items.Cast<object?>().ToArray());
        return new ManagedArray<T>(p.Client, p.Id);
    }

    /// <summary>A new shared joinable FIFO queue (Python's <c>manager.JoinableQueue()</c>).</summary>
    public ManagedJoinableQueue CreateJoinableQueue() => Make<ManagedJoinableQueue>(ManagerKinds.JoinableQueue, null);

    /// <summary>A new instance of the type registered as <paramref name="name"/>, built with <paramref name="args"/>.</summary>
    public ManagedObject Create(string name, params object?[] args) => Make<ManagedObject>(name, null, args);

    /// <summary>
    /// Stops the manager process and waits for it to end (Python's <c>manager.shutdown()</c>); every
    /// proxy of this manager then fails with <see cref="ManagerConnectionException"/>. For a manager
    /// reached with <see cref="Connect"/> this only closes this process's connection.
    /// </summary>
    public void Shutdown()
    {
        if (TakeServer() is not { } server)
        {
            return;
        }
        Task reply = RequestStop(server, out ManagerClient? fresh);
        try
        {
            reply.Wait(s_stopWait);
        }
        catch (AggregateException)
        {
            // Already gone: nothing left to stop.
        }
        finally
        {
            fresh?.Dispose();
        }
        if (!server.Join(s_stopWait))
        {
            server.Kill();
            server.Join(s_stopWait);
        }
        Release(server);
    }

    /// <summary>The manager process this object owns, now no longer; null (its connection closed) when it owns none.</summary>
    private ChildProcess? TakeServer()
    {
        ChildProcess? server = _server;
        _server = null;
        if (server is null)
        {
            _client?.Dispose();
        }
        return server;
    }

    /// <summary>
    /// Sends the stop request and returns its pending reply. On this manager's connection; when that one
    /// broke while the manager lives, on a fresh one (returned in <paramref name="fresh"/>), so the
    /// manager still stops by itself instead of being killed after <see cref="s_stopWait"/>.
    /// </summary>
    private Task RequestStop(ChildProcess server, out ManagerClient? fresh)
    {
        fresh = null;
        if (_client is null || !server.IsAlive)
        {
            return Task.CompletedTask;
        }
        try
        {
            return Client.CallAsync(0, ManagerOperations.Shutdown, []);
        }
        catch (ManagerConnectionException)
        {
        }
        try
        {
            fresh = ManagerClient.Open(Address, _authKey, shared: false);
            return fresh.CallAsync(0, ManagerOperations.Shutdown, []);
        }
        catch (Exception e) when (e is ManagerConnectionException or System.Security.Authentication.AuthenticationException or IOException)
        {
            fresh?.Dispose();
            fresh = null;
            return Task.CompletedTask; // the manager cannot be reached: it is stopped by a signal
        }
    }

    /// <summary>Closes the connection and frees what the manager process left.</summary>
    private void Release(ChildProcess server)
    {
        server.Dispose();
        _client?.Dispose();
        if (_directory is not null && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Waits for the manager process to exit, up to <see cref="s_stopWait"/>, without blocking a thread.</summary>
    private static async Task<bool> JoinAsync(ChildProcess server)
    {
        using CancellationTokenSource wait = new(s_stopWait);
        try
        {
            await server.JoinAsync(wait.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Shuts the manager down (see <see cref="Shutdown"/>).</summary>
    public void Dispose() => Shutdown();

    /// <summary>Shuts the manager down (see <see cref="Shutdown"/>) without blocking a thread while it waits.</summary>
    public async ValueTask DisposeAsync()
    {
        if (TakeServer() is not { } server)
        {
            return;
        }
        Task reply = RequestStop(server, out ManagerClient? fresh);
        try
        {
            await reply.WaitAsync(s_stopWait).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ManagerConnectionException or TimeoutException)
        {
            // Already gone, or not answering: it is stopped by a signal below.
        }
        finally
        {
            fresh?.Dispose();
        }
        if (!await JoinAsync(server).ConfigureAwait(false))
        {
            server.Kill();
            await JoinAsync(server).ConfigureAwait(false);
        }
        Release(server);
    }
}
