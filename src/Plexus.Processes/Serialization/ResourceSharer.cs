using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Cryptography;
using Plexus.Native;

namespace Plexus.Processes.Serialization;

/// <summary>
/// Hands descriptors to other processes on request, for payloads that go where descriptors cannot
/// ride (a queue's shared-memory ring, a pool's task frames, any payload serialized without a
/// <see cref="HandleTable"/>): Python's <c>multiprocessing.resource_sharer</c>.
/// </summary>
/// <remarks>
/// <para>The sender keeps duplicates of an object's descriptors in an entry named by a number and
/// guarded by a 16-byte random token; the payload carries the sender's pid, the socket path, the number
/// and the token, never a type name. The receiver connects to the socket, which sits in an owner-only
/// (0700) directory so only this user can reach it, sends number and token, and gets the descriptors
/// over <c>SCM_RIGHTS</c>. A wrong token is answered like an unknown number.</para>
/// <para>A one-shot entry (the default: a queue item is received once) is dropped when it is fetched;
/// an entry of a <see cref="ShareScope"/> stays until the scope is disposed (a pool's initializer
/// arguments, fetched by every worker). An entry nobody fetches stays until this process exits, as in
/// Python. When the sender has exited its socket is gone, and the receiver gets an error that says so.</para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "One per process; its socket is closed at exit.")]
internal sealed class ResourceSharer
{
    public const int TokenSize = 16;
    private const int RequestSize = sizeof(long) + TokenSize;
    private const byte Granted = 0, Refused = 1;
    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(30);
    private static readonly Lock s_gate = new();
    private static ResourceSharer? s_instance;

    private readonly ConcurrentDictionary<long, Entry> _entries = new();
    private readonly Socket _listener;
    private readonly string _directory;
    private long _nextId;

    private ResourceSharer()
    {
        _directory = Path.Combine(Path.GetTempPath(), $"{DirectoryPrefix}{Environment.ProcessId}-{Convert.ToHexString(SecureRandom.GetBytes(8))}");
        if (!Platform.IsSupported) throw Platform.NotSupported();
        Directory.CreateDirectory(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        SocketPath = Path.Combine(_directory, "s");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(64);
        AcceptThread.Start(_listener, "plexus-resource-sharer", Serve);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
    }

    private static string DirectoryPrefix => "plexus-share-";

    /// <summary>The path receivers connect to.</summary>
    public string SocketPath { get; }

    /// <summary>This process's sharer, started on first use.</summary>
    public static ResourceSharer Instance
    {
        get
        {
            lock (s_gate)
            {
                return s_instance ??= new ResourceSharer();
            }
        }
    }

    /// <summary>Keeps <paramref name="table"/>'s descriptors (the entry now owns the table) until fetched once, or until revoked.</summary>
    public (long Id, byte[] Token) Register(HandleTable table, bool once)
    {
        long id = Interlocked.Increment(ref _nextId);
        byte[] token = SecureRandom.GetBytes(TokenSize);
        _entries[id] = new Entry(table, token, once);
        return (id, token);
    }

    /// <summary>Drops an entry and closes its descriptors (its scope ended).</summary>
    public void Revoke(long id)
    {
        if (_entries.TryRemove(id, out Entry? entry))
        {
            entry.Table.Dispose();
        }
    }

    /// <summary>
    /// Fetches the descriptors of entry <paramref name="id"/> from the sharer of process <paramref name="pid"/>.
    /// </summary>
    /// <param name="pid">The sender, as the payload names it.</param>
    /// <param name="path">The sender's sharer socket.</param>
    /// <param name="id">The entry.</param>
    /// <param name="token">The entry's token.</param>
    /// <param name="what">The object's type name, for errors.</param>
    /// <exception cref="InvalidOperationException">The sender has exited, or the entry is gone or was fetched already.</exception>
    public static HandleTable Fetch(int pid, string path, long id, byte[] token, string what)
    {
        if (!path.StartsWith(Path.Combine(Path.GetTempPath(), DirectoryPrefix), StringComparison.Ordinal) || token.Length != TokenSize)
        {
            throw new InvalidDataException($"the {what} in this message names no Plexus resource sharer; the message is corrupt");
        }
        if (pid == Environment.ProcessId && s_instance is { } self && self.SocketPath == path)
        {
            return self.TakeLocal(id, token) ?? throw Unavailable(what, pid);
        }
        SafeFd socket;
        try
        {
            socket = Descriptors.ConnectUnix(path);
        }
        catch (ErrnoException e) when (e.Errno is Errnos.ENOENT or Errnos.ECONNREFUSED)
        {
            throw new InvalidOperationException(
                $"the {what} in this message was sent by process {pid}, which has exited (or runs on another host), and its " +
                "descriptors went with it; keep the sender running until the receiver has the object, or pass it as a ChildProcess.Start argument", e);
        }
        using (socket)
        {
            Span<byte> request = stackalloc byte[RequestSize];
            BinaryPrimitives.WriteInt64LittleEndian(request, id);
            token.CopyTo(request[sizeof(long)..]);
            Descriptors.WriteAll(socket.Fd, request);
            if (!Descriptors.WaitReadable(socket.Fd, (int)s_requestTimeout.TotalMilliseconds))
            {
                throw new TimeoutException($"process {pid} did not hand over the descriptors of the {what} in this message within {s_requestTimeout.TotalSeconds} s; it may be stuck");
            }
            var fds = new List<int>();
            Span<byte> status = stackalloc byte[1];
            int n = Descriptors.ReceiveWithDescriptors(socket.Fd, status, fds);
            var table = new HandleTable(fds);
            if (n != 1 || status[0] != Granted || fds.Count == 0)
            {
                table.CloseUntaken();
                throw Unavailable(what, pid);
            }
            return table;
        }
    }

    private static InvalidOperationException Unavailable(string what, int pid) => new(
        $"the {what} in this message was already received once, or process {pid} dropped it: an object sent through a queue " +
        "or as a task argument is handed over once; send it again for each receiver");

    /// <summary>Answers one receiver: its request, then the descriptors (or a refusal).</summary>
    private void Serve(Socket client)
    {
        using (client)
        {
            try
            {
                client.ReceiveTimeout = (int)s_requestTimeout.TotalMilliseconds;
                byte[] request = new byte[RequestSize];
                for (int read = 0; read < request.Length;)
                {
                    int n = client.Receive(request, read, request.Length - read, SocketFlags.None);
                    if (n == 0)
                    {
                        return;
                    }
                    read += n;
                }
                long id = BinaryPrimitives.ReadInt64LittleEndian(request);
                Entry? entry = Claim(id, request.AsSpan(sizeof(long)));
                if (entry is null)
                {
                    client.Send([Refused]);
                    return;
                }
                try
                {
                    entry.Table.Send((int)client.Handle, [Granted]);
                }
                finally
                {
                    if (entry.Once)
                    {
                        entry.Table.Dispose();
                    }
                }
            }
            catch (Exception e) when (e is SocketException or IOException or ErrnoException or ObjectDisposedException)
            {
                // The receiver went away or the entry was revoked meanwhile: the receiver sees EOF and says so.
            }
        }
    }

    /// <summary>The entry if the token matches; a one-shot entry is removed (so exactly one receiver gets it).</summary>
    private Entry? Claim(long id, ReadOnlySpan<byte> token)
    {
        if (!_entries.TryGetValue(id, out Entry? entry) || !CryptographicOperations.FixedTimeEquals(entry.Token, token))
        {
            return null;
        }
        return !entry.Once || _entries.TryRemove(new KeyValuePair<long, Entry>(id, entry)) ? entry : null;
    }

    /// <summary>A fetch by this very process (a queue read by a thread of the sender): no socket.</summary>
    private HandleTable? TakeLocal(long id, byte[] token)
    {
        Entry? entry = Claim(id, token);
        if (entry is null)
        {
            return null;
        }
        try
        {
            return new HandleTable(entry.Table.Fds.Select(Descriptors.Duplicate).ToList());
        }
        finally
        {
            if (entry.Once)
            {
                entry.Table.Dispose();
            }
        }
    }

    private void Stop()
    {
        _listener.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed record Entry(HandleTable Table, byte[] Token, bool Once);
}
