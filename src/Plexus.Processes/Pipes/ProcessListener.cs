using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using System.Security.Authentication;
using Plexus.Native;

namespace Plexus.Processes;

/// <summary>
/// Accepts authenticated connections from any process that knows the address and key (Python's
/// <c>multiprocessing.connection.Listener</c>); the other end calls <see cref="ProcessClient.Connect"/>.
/// Each accepted client is a <see cref="Connection"/>, as a <see cref="ProcessPipe"/> end is.
/// </summary>
/// <remarks>
/// <para>
/// The address is a Unix socket path or <c>tcp://HOST:PORT</c>. Without one, the listener makes a Unix
/// socket in a new owner-only (0700) directory; any socket file it binds is made 0600 and removed on
/// <see cref="Dispose"/>. (A Linux abstract-namespace address was not used: it has no file mode, so any
/// process in the network namespace could connect to it.)
/// </para>
/// <para>
/// Every connection is authenticated both ways with an HMAC-SHA256 challenge under the key, as Python
/// does: the client proves it knows the key, then the listener does. A client with the wrong key gets an
/// <see cref="AuthenticationException"/> from <see cref="ProcessClient.Connect"/>, and the accept that
/// met it throws one too (catch it and accept again: the listener is unharmed); the refused socket is
/// closed on both sides. A client that does not answer within <see cref="AuthenticationTimeout"/> is
/// refused the same way. The key is checked, not the data: nothing is encrypted (see docs/managers.md for
/// TLS or an SSH tunnel across hosts).
/// </para>
/// </remarks>
public sealed class ProcessListener : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _authKey;
    private readonly string? _directory;
    private int _disposed;

    /// <summary>Listens on <paramref name="address"/> (a new owner-only Unix socket when null).</summary>
    /// <param name="authKey">The key both sides must know (not empty).</param>
    /// <param name="address">A Unix socket path, or <c>tcp://HOST:PORT</c> (port 0 picks a free one); null makes a private Unix socket.</param>
    /// <param name="backlog">How many connections may wait to be accepted.</param>
    /// <exception cref="ArgumentException">The key is empty, or the address cannot be parsed.</exception>
    /// <exception cref="SocketException">The address is in use or not one of this host's.</exception>
    public ProcessListener(byte[] authKey, string? address = null, int backlog = 16)
    {
        ArgumentNullException.ThrowIfNull(authKey);
        if (authKey.Length == 0)
        {
            throw new ArgumentException("the authentication key must not be empty; both ends need the same secret bytes", nameof(authKey));
        }
        _authKey = (byte[])authKey.Clone();
        if (address is null)
        {
            // CreateTempSubdirectory makes the directory 0700: only this user can reach the socket in it.
            _directory = Directory.CreateTempSubdirectory("plexus-listener-").FullName;
            address = Path.Combine(_directory, "listener.sock");
        }
        try
        {
            _socket = ProcessAddress.Listen(address, backlog, out string actual);
            Address = actual;
        }
        catch
        {
            DeleteDirectory();
            throw;
        }
        // Accept is tried only after a wait said a client is there; non-blocking, so a client another
        // thread took meanwhile sends this one back to waiting instead of blocking it.
        _socket.Blocking = false;
    }

    /// <summary>
    /// How long an accepted client may take to complete the challenge before it is refused (10 s by
    /// default), so a peer that connects and says nothing cannot hold an accept.
    /// </summary>
    public TimeSpan AuthenticationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The address clients pass to <see cref="ProcessClient.Connect"/> (a TCP port filled in).</summary>
    public string Address { get; }

    /// <summary>The listening socket's descriptor: readable when a client is waiting (<see cref="Connection.Wait(IEnumerable{object}, TimeSpan?, CancellationToken)"/> takes the listener itself).</summary>
    internal Socket Socket => _socket;

    /// <summary>Waits for a client and authenticates it (Python's <c>accept()</c>).</summary>
    /// <exception cref="AuthenticationException">The client did not prove it knows the key (it was refused and closed).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Connection Accept(CancellationToken cancellationToken = default)
        => Accept(Timeout.InfiniteTimeSpan, cancellationToken) ?? throw new InvalidOperationException("unreachable: an accept without a timeout returned nothing");

    /// <summary>Waits up to <paramref name="timeout"/> for a client and authenticates it.</summary>
    /// <returns>False when no client came in time.</returns>
    /// <exception cref="AuthenticationException">The client did not prove it knows the key (it was refused and closed).</exception>
    public bool TryAccept(TimeSpan timeout, [NotNullWhen(true)] out Connection? connection)
    {
        connection = Accept(timeout, CancellationToken.None);
        return connection is not null;
    }

    /// <summary>Waits for a client without holding a thread, then authenticates it.</summary>
    /// <exception cref="AuthenticationException">The client did not prove it knows the key (it was refused and closed).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public async Task<Connection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        Socket client = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
        // The challenge is a few small frames bounded by AuthenticationTimeout; it runs on a pool thread.
        return await Task.Run(() => Authenticate(client, cancellationToken), CancellationToken.None).ConfigureAwait(false);
    }

    private Connection? Accept(TimeSpan timeout, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            TimeSpan left = deadline == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));
            if (Connection.Wait([this], left, cancellationToken).Count == 0)
            {
                return null;
            }
            Socket client;
            try
            {
                client = _socket.Accept();
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.ConnectionAborted)
            {
                continue; // another thread took it, or it gave up before we came
            }
            return Authenticate(client, cancellationToken);
        }
    }

    /// <summary>Runs the challenge both ways on <paramref name="client"/> and turns it into a connection, or closes it and throws.</summary>
    private Connection Authenticate(Socket client, CancellationToken cancellationToken)
    {
        string peer = client.RemoteEndPoint is System.Net.IPEndPoint ip ? ip.ToString() : "a local process";
        using (client)
        {
            client.Blocking = true;
            client.ReceiveTimeout = (int)Math.Clamp(AuthenticationTimeout.TotalMilliseconds, 1, int.MaxValue);
            if (client.AddressFamily != AddressFamily.Unix)
            {
                client.NoDelay = true;
            }
            string? refused;
            // Cancellation shuts the socket down, which ends a receive of the challenge at once.
            using (cancellationToken.Register(static s => ShutdownQuietly((Socket)s!), client))
            {
                try
                {
                    refused = AuthChallenge.Deliver(client, _authKey)
                        ? AuthChallenge.Answer(client, _authKey) is { } why ? $"it refused this listener's answer ({why})" : null
                        : "it did not prove it knows the authentication key";
                }
                catch (Exception e) when (e is SocketException or InvalidDataException)
                {
                    refused = e is SocketException { SocketErrorCode: SocketError.WouldBlock or SocketError.TimedOut }
                        ? $"it did not complete the challenge within {AuthenticationTimeout.TotalSeconds:0.###} s"
                        : e.Message;
                }
            }
            cancellationToken.ThrowIfCancellationRequested();
            if (refused is not null)
            {
                throw new AuthenticationException($"the listener at {Address} refused a connection from {peer}: {refused}. Give the client the listener's key.");
            }
            client.ReceiveTimeout = 0;
            // The connection owns a copy of the descriptor; the Socket object (and its copy) is closed here.
            return new Connection(Descriptors.Duplicate((int)client.Handle), readable: true, writable: true);
        }
    }

    private static void ShutdownQuietly(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Stops listening and removes the socket file (Python's <c>close()</c>); accepted connections stay open.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _socket.Dispose();
        if (!ProcessAddress.IsTcp(Address))
        {
            File.Delete(Address);
        }
        DeleteDirectory();
    }

    /// <inheritdoc cref="Dispose"/>
    public void Close() => Dispose();

    private void DeleteDirectory()
    {
        if (_directory is not null && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
