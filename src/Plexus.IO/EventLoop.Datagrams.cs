using System.Net;
using System.Net.Sockets;

namespace Plexus.IO;

public sealed partial class EventLoop
{
    /// <summary>
    /// A UDP socket bound to <paramref name="local"/> and/or connected to <paramref name="remote"/>
    /// (Python's <c>loop.create_datagram_endpoint</c>, with the socket in place of the transport and
    /// protocol): send with <see cref="SendToAsync"/> (or <see cref="SendAllAsync"/> when connected),
    /// receive with <see cref="ReceiveFromAsync"/>. At least one endpoint is needed to pick the family.
    /// </summary>
    public LoopSocket CreateDatagramEndpoint(IPEndPoint? local = null, IPEndPoint? remote = null)
    {
        CheckThread(nameof(CreateDatagramEndpoint));
        AddressFamily family = (local ?? remote)?.AddressFamily
            ?? throw new ArgumentException("give a local or a remote endpoint, so that the socket's family is known");
        LoopSocket socket = LoopSocket.CreateUdp(family);
        try
        {
            if (local is not null)
            {
                socket.Bind(local);
            }
            if (remote is not null)
            {
                socket.ConnectDatagram(remote);
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Receives one datagram into <paramref name="buffer"/> with its sender (Python's
    /// <c>loop.sock_recvfrom_into</c>). A lost datagram never arrives: guard the wait with a token or
    /// <see cref="WaitForAsync{T}"/>; a cancelled receive leaves the socket usable.
    /// </summary>
    public ValueTask<LoopReceiveFromResult> ReceiveFromAsync(LoopSocket socket, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        SocketOperation op = BeginRead(socket, nameof(ReceiveFromAsync));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<LoopReceiveFromResult>(cancellationToken);
        }
        op.StartReceiveFrom(buffer, cancellationToken);
        return new ValueTask<LoopReceiveFromResult>(op.TryComplete() ? op : WaitRead(socket, op), op.Version);
    }

    /// <summary>Sends <paramref name="datagram"/> to <paramref name="remote"/> (Python's <c>loop.sock_sendto</c>); returns the bytes sent (all of them).</summary>
    public ValueTask<int> SendToAsync(LoopSocket socket, ReadOnlyMemory<byte> datagram, EndPoint remote, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        SocketOperation op = BeginWrite(socket, nameof(SendToAsync));
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }
        op.StartSendTo(datagram, socket.ToSocketAddress(remote), cancellationToken);
        return new ValueTask<int>(op.TryComplete() ? op : WaitWrite(socket, op), op.Version);
    }
}
