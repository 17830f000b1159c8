using System.Net.Sockets;
using MessagePack;
using Plexus.Processes.Serialization;

namespace Plexus.Processes;

/// <summary>
/// Moves a connected <see cref="Socket"/> to a child process: pass a <see cref="SharedSocket"/> as a
/// <see cref="ChildProcess.Start"/> argument and call <see cref="Take"/> in the child. Mirrors what
/// Python's <c>multiprocessing.reduction</c> does for sockets (descriptor passing over
/// <c>SCM_RIGHTS</c>). It also travels through a <see cref="Connection"/> (moved, as to a child) and
/// as a queue item or pool task argument (copied: this process keeps its socket, as in Python).
/// </summary>
/// <remarks>
/// The move closes this process's copy when <see cref="ChildProcess.Start"/> returns (the launch holds
/// its own reference until the child has it), so the connection's life belongs to the child alone
/// (the peer sees EOF when the child closes or dies).
/// </remarks>
public sealed class SharedSocket : IProcessShareable<SharedSocket>, IDisposable
{
    private Socket? _socket;
    private string? _movedTo;

    /// <summary>Wraps <paramref name="socket"/> so it can be handed to one child process.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="socket"/> is null.</exception>
    public SharedSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
    }

    /// <summary>
    /// Takes the socket out of the wrapper (in the child, after the move; or in the parent, when it
    /// was never sent). Each wrapper gives its socket once.
    /// </summary>
    /// <exception cref="InvalidOperationException">The socket was already taken or moved to a child.</exception>
    public Socket Take()
    {
        if (_movedTo is not null)
        {
            throw new InvalidOperationException($"this socket was handed to {_movedTo}; only that process can use it now");
        }
        Socket socket = _socket ?? throw new InvalidOperationException("this socket was already taken; each SharedSocket gives its socket once");
        _socket = null;
        return socket;
    }

    /// <summary>Closes the socket if nobody took it.</summary>
    public void Dispose()
    {
        _socket?.Dispose();
        _socket = null;
    }

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles)
    {
        Socket socket = _socket ?? throw new InvalidOperationException(
            _movedTo is null ? "this socket was already taken; wrap the socket again to send it" : $"this socket was already handed to {_movedTo}");
        writer.WriteArrayHeader(1);
        writer.Write(handles.Add(socket.SafeHandle));
        handles.OnCommit(() =>
        {
            _movedTo ??= "a child process";
            _socket?.Dispose();
            _socket = null;
        });
    }

    static SharedSocket IProcessShareable<SharedSocket>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        if (reader.ReadArrayHeader() != 1)
        {
            throw new MessagePackSerializationException("a shared socket is one field");
        }
        int fd = handles.Take(reader.ReadInt32());
        return new SharedSocket(new Socket(new SafeSocketHandle(fd, ownsHandle: true)));
    }
}
