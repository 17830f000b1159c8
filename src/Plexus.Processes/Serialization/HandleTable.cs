using System.Runtime.InteropServices;
using MessagePack;
using Plexus.Native;

namespace Plexus.Processes.Serialization;

/// <summary>
/// Descriptors that travel beside one payload (over <c>SCM_RIGHTS</c>): a shareable object writes
/// the index of its descriptor, and the receiver takes the descriptor at that index.
/// </summary>
/// <remarks>
/// On the sending side the table owns a duplicate of every descriptor it was given, from the moment
/// the object is written until <see cref="Dispose"/> (after the send). The payload may leave long after
/// it was built (a child host connects later), and by then the object's own descriptor may be closed
/// and its number reused by an unrelated file; the duplicate keeps the right kernel object either way.
/// </remarks>
internal sealed class HandleTable : IDisposable
{
    private readonly List<int> _fds = [];
    private readonly List<SafeFd> _owned = [];
    private readonly List<Action> _onCommit = [];
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <summary>A received table with no descriptors: where a payload came without any (a proxy needs none).</summary>
    public static HandleTable None { get; } = new([]);

    public HandleTable() { }

    public HandleTable(IEnumerable<int> received) => _fds.AddRange(received);

    /// <summary>The descriptors that travel with the payload, by index.</summary>
    public IReadOnlyList<int> Fds => _fds;

    /// <summary>
    /// Adds a duplicate of <paramref name="handle"/>'s descriptor, owned by this table, and returns its index.
    /// </summary>
    /// <exception cref="ObjectDisposedException"><paramref name="handle"/> is closed (the object was disposed).</exception>
    public int Add(SafeHandle handle)
    {
        bool added = false;
        try
        {
            // The reference keeps the number from being closed and reused between reading it and duplicating it.
            handle.DangerousAddRef(ref added);
            return AddDuplicate((int)handle.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Adds a duplicate of <paramref name="fd"/>, owned by this table, and returns its index. The caller
    /// holds whatever keeps <paramref name="fd"/> open meanwhile (a reference on its owner).
    /// </summary>
    public int AddDuplicate(int fd)
    {
        var copy = new SafeFd(Descriptors.Duplicate(fd));
        lock (_gate)
        {
            if (_disposed)
            {
                copy.Dispose();
                throw new ObjectDisposedException(nameof(HandleTable));
            }
            _owned.Add(copy);
            _fds.Add(copy.Fd);
            return _fds.Count - 1;
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> when the payload is committed to its receiver (a child's start
    /// succeeded): a moved object closes its own copy there, since this table holds the one that travels.
    /// </summary>
    public void OnCommit(Action action) => _onCommit.Add(action);

    /// <summary>Runs the <see cref="OnCommit"/> actions (once the payload will be sent).</summary>
    public void Commit()
    {
        foreach (Action action in _onCommit)
        {
            action();
        }
        _onCommit.Clear();
    }

    /// <summary>Sends with the descriptors; none is closed meanwhile (<see cref="Dispose"/> waits for it).</summary>
    /// <exception cref="ObjectDisposedException">The table was disposed (the payload was abandoned).</exception>
    public void Send(int socket, ReadOnlySpan<byte> frame)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Descriptors.SendWithDescriptors(socket, frame, CollectionsMarshal.AsSpan(_fds));
        }
    }

    /// <summary>Takes the received descriptor at <paramref name="index"/>; each is taken once.</summary>
    public int Take(int index)
    {
        if ((uint)index >= (uint)_fds.Count || _fds[index] < 0)
        {
            throw new MessagePackSerializationException($"descriptor #{index} was not received with this payload");
        }
        int fd = _fds[index];
        _fds[index] = -1;
        return fd;
    }

    /// <summary>Closes received descriptors that no object took (so none leak).</summary>
    public void CloseUntaken()
    {
        for (int i = 0; i < _fds.Count; i++)
        {
            if (_fds[i] >= 0)
            {
                Descriptors.Close(_fds[i]);
                _fds[i] = -1;
            }
        }
    }

    /// <summary>
    /// Empties a sending table for its next payload: closes the duplicates it owns and drops the
    /// commit actions (a connection reuses one table for all its sends).
    /// </summary>
    public void Reset()
    {
        lock (_gate)
        {
            foreach (SafeFd fd in _owned)
            {
                fd.Dispose();
            }
            _owned.Clear();
            _fds.Clear();
            _onCommit.Clear();
        }
    }

    /// <summary>Closes the duplicates this table owns (the payload was sent, or will never be).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (SafeFd fd in _owned)
            {
                fd.Dispose();
            }
            _owned.Clear();
        }
    }
}
