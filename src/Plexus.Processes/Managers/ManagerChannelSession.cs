using System.Buffers.Binary;
using System.Net.Sockets;

namespace Plexus.Processes;

/// <summary>
/// The calls a client makes through its shared-memory <see cref="ManagerChannel"/>, served on a thread
/// of their own; replies go back through the channel, or on the connection's socket when they do not fit.
/// </summary>
internal sealed class ManagerChannelSession(ManagerSession owner, ManagerChannel channel) : ManagerSession(owner.Socket)
{
    /// <summary>The socket's session of the same connection.</summary>
    public ManagerSession Owner { get; } = owner;

    public ManagerChannel Channel { get; } = channel;

    public override ManagerSession Connection => Owner;

    /// <summary>Serves the channel until the client goes away or the manager stops.</summary>
    public void Serve(ManagerServer server)
    {
        byte[] buffer = new byte[4096];
        try
        {
            while (Channel.AwaitRequest())
            {
                int length;
                unsafe
                {
                    length = BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(Channel.Data, 4));
                    if (length < 0 || length > Channel.Capacity - 4)
                    {
                        return; // a corrupt header: drop this client, keep serving the others
                    }
                    if (buffer.Length < length)
                    {
                        buffer = new byte[Math.Max(length, buffer.Length * 2)];
                    }
                    // Copied out before it is parsed, so the client cannot change it under the parser.
                    new ReadOnlySpan<byte>(Channel.Data + 4, length).CopyTo(buffer);
                }
                Channel.MarkBusy();
                if (!server.Handle(this, buffer.AsMemory(0, length)))
                {
                    return;
                }
                Flush();
                if (server.Stopping)
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
            Unmap();
            // Ends the client's socket too, so its proxies fail at once rather than wait on a channel nobody serves.
            Owner.Drop();
        }
    }

    /// <summary>Writes the replies into the channel (a deferred one too, from another client's thread), or on the socket when they do not fit.</summary>
    public override unsafe void Flush()
    {
        lock (SendGate)
        {
            if (Out.WrittenCount == 0)
            {
                return;
            }
            if (!Dead && !Channel.IsDisposed)
            {
                if (Out.WrittenCount <= Channel.Capacity)
                {
                    Out.WrittenSpan.CopyTo(new Span<byte>(Channel.Data, Channel.Capacity));
                    Channel.PostReply();
                }
                else
                {
                    Owner.SendNow(Out.WrittenSpan);
                    Channel.PostReplyOnSocket();
                }
            }
            Out.ResetWrittenCount();
        }
    }

    /// <summary>Unmaps the channel once no reply can be writing into it.</summary>
    private void Unmap()
    {
        Dead = true;
        lock (SendGate)
        {
            Channel.Dispose();
        }
    }
}
