using System.Net;
using System.Net.Sockets;

namespace Plexus.IO;

/// <summary>
/// One event loop per core serving one port: each loop runs on its own thread with its own
/// listening socket bound with <c>SO_REUSEPORT</c>, and the kernel spreads incoming connections
/// across the listeners. A connection stays on the loop that accepted it, so its handler runs on one
/// thread from start to end, as on a single <see cref="EventLoop.StartServerAsync"/> server.
/// </summary>
/// <remarks>
/// <see cref="Shutdown"/> stops every loop gracefully: it cancels <see cref="Stopping"/> (pass it to
/// reads that may wait long), closes every listener, waits up to a grace period for the handlers to
/// return, then closes each loop, which cancels what still waits and closes those connections.
/// </remarks>
public sealed class LoopGroup : IDisposable
{
    private readonly LoopGroupMember[] _members;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<TimeSpan> _shutdown = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;

    private LoopGroup(LoopSocket[] listeners, Func<LoopStreamReader, LoopStreamWriter, CancellationToken, Task> handler, int limit)
    {
        LocalEndPoint = listeners[0].LocalAddress;
        CancellationToken stopping = _stopping.Token;
        Func<LoopStreamReader, LoopStreamWriter, Task> perConnection = (reader, writer) => handler(reader, writer, stopping);
        _members = new LoopGroupMember[listeners.Length];
        for (int i = 0; i < listeners.Length; i++)
        {
            _members[i] = new LoopGroupMember(i, listeners[i], perConnection, limit, _shutdown.Task);
        }
        foreach (LoopGroupMember member in _members)
        {
            member.Start();
        }
        try
        {
            Loops = Array.ConvertAll(_members, m => m.WaitStarted());
        }
        catch
        {
            // A loop could not be made: end the ones that were, so no thread or listener is left behind.
            _shutdown.TrySetResult(TimeSpan.Zero);
            Array.ForEach(_members, m => m.Join());
            throw;
        }
    }

    /// <summary>Where every loop listens (with the port the kernel chose for port 0).</summary>
    public EndPoint LocalEndPoint { get; }

    /// <summary>The loops, one per thread; use one from another thread only through its thread-safe calls.</summary>
    public IReadOnlyList<EventLoop> Loops { get; }

    /// <summary>Cancelled when <see cref="Shutdown"/> starts: handlers pass it to reads that may wait long.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>
    /// Starts <paramref name="count"/> loops, each on its own thread, each accepting on
    /// <paramref name="endPoint"/> with <c>SO_REUSEPORT</c> and running <paramref name="handler"/>
    /// for its connections with the connection's reader, writer and the group's <see cref="Stopping"/> token.
    /// Port 0 picks one free port that every loop shares.
    /// </summary>
    /// <param name="count">How many loops (one per core: <see cref="Environment.ProcessorCount"/>).</param>
    /// <param name="endPoint">An IPv4 or IPv6 <see cref="IPEndPoint"/>.</param>
    /// <param name="handler">Handles one connection on its loop's thread; when it returns, the connection is flushed and closed.</param>
    /// <param name="limit">Each reader's <see cref="LoopStreamReader.Limit"/>.</param>
    /// <param name="backlog">Each listener's backlog.</param>
    public static LoopGroup Start(int count, IPEndPoint endPoint, Func<LoopStreamReader, LoopStreamWriter, CancellationToken, Task> handler,
        int limit = LoopStreamReader.DefaultLimit, int backlog = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(handler);
        var listeners = new LoopSocket[count];
        int made = 0;
        try
        {
            IPEndPoint bindTo = endPoint;
            for (; made < count; made++)
            {
                listeners[made] = ListenShared(bindTo, backlog);
                // Port 0: the first listener's port is the one the others join.
                bindTo = new IPEndPoint(endPoint.Address, listeners[0].LocalEndPoint.Port);
            }
            return new LoopGroup(listeners, handler, limit);
        }
        catch
        {
            for (int i = 0; i < made; i++)
            {
                listeners[i].Dispose();
            }
            throw;
        }
    }

    /// <summary>
    /// Stops the group and returns when every loop thread has ended: cancels <see cref="Stopping"/>,
    /// closes every listener, waits up to <paramref name="grace"/> for the handlers to return, then
    /// closes the loops (what still waits is cancelled and its connection closed). True when every
    /// handler returned within the grace period. Safe from any thread but a loop's own, and more than once.
    /// </summary>
    /// <exception cref="AggregateException">A loop thread failed; its exceptions are inside.</exception>
    public bool Shutdown(TimeSpan grace)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Loops.Any(loop => loop.IsOnLoopThread))
        {
            throw new InvalidOperationException("Shutdown waits for every loop thread, so it cannot run on one; call it from another thread (or start it with Task.Run)");
        }
        _stopping.Cancel();
        _shutdown.TrySetResult(grace);
        return WaitAll();
    }

    /// <summary>Blocks until the group has been shut down (from another thread or a signal handler) and every loop has ended.</summary>
    public bool Wait() => WaitAll();

    /// <summary>Shuts down with no grace period (handlers still running are cancelled), unless already shut down.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        Shutdown(TimeSpan.Zero);
        _disposed = true;
        _stopping.Dispose();
    }

    private bool WaitAll()
    {
        bool clean = true;
        List<Exception> errors = [];
        foreach (LoopGroupMember member in _members)
        {
            member.Join();
            clean &= member.FinishedInGrace;
            if (member.Error is { } error)
            {
                errors.Add(error);
            }
        }
        return errors.Count == 0 ? clean : throw new AggregateException("a loop of the group failed", errors);
    }

    private static LoopSocket ListenShared(IPEndPoint endPoint, int backlog)
    {
        LoopSocket socket = LoopSocket.CreateTcp(endPoint.AddressFamily);
        try
        {
            socket.ReusePort = true;
            socket.Bind(endPoint);
            socket.Listen(backlog);
            return socket;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new SocketException((int)SocketError.AddressAlreadyInUse,
                $"{endPoint} is in use by a socket without SO_REUSEPORT (or another user's); stop it or pick another port");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
