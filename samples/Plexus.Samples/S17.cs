using System.Net.Sockets;
using Plexus.IO.Selectors;

namespace Plexus.Samples;

/// <summary>
/// The seed's echo server on <c>selectors.DefaultSelector</c> (epoll here): each key's
/// <c>Data</c> holds the callback to run when it is ready, and the loop just calls
/// <c>callback(key.FileObject, events)</c>. Unlike the seed it keeps the bytes a send did not
/// take and waits for writability before reading more from that client.
/// </summary>
internal static class S17
{
    private delegate void Callback(Socket socket, SelectorEvents events);

    public static int Run(string[] args)
    {
        using var host = new ServerHost(args);
        using Selector sel = DefaultSelector.Create();
        byte[] buffer = new byte[1024];
        var pending = new Dictionary<Socket, ArraySegment<byte>>();

        void Close(Socket conn)
        {
            sel.Unregister(conn);
            pending.Remove(conn);
            conn.Dispose();
        }

        void Read(Socket conn, SelectorEvents mask)
        {
            int n = conn.Receive(buffer, 0, buffer.Length, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                return;
            }
            if (error != SocketError.Success || n == 0)
            {
                Close(conn);
                return;
            }
            int sent = conn.Send(buffer, 0, n, SocketFlags.None, out error);
            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                Close(conn);
                return;
            }
            if (sent < n)
            {
                // The kernel took only part: keep the rest, and stop reading until it is out.
                pending[conn] = buffer[sent..n].ToArray();
                sel.Modify(conn, SelectorEvents.Write, (Callback)Write);
            }
        }

        void Write(Socket conn, SelectorEvents mask)
        {
            ArraySegment<byte> rest = pending[conn];
            int sent = conn.Send(rest.Array!, rest.Offset, rest.Count, SocketFlags.None, out SocketError error);
            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                Close(conn);
                return;
            }
            if (sent < rest.Count)
            {
                pending[conn] = rest[sent..];
                return;
            }
            pending.Remove(conn);
            sel.Modify(conn, SelectorEvents.Read, (Callback)Read);
        }

        void Accept(Socket server, SelectorEvents mask)
        {
            while (S16.TryAccept(server, out Socket? conn))
            {
                conn.Blocking = false;
                sel.Register(conn, SelectorEvents.Read, (Callback)Read);
            }
        }

        sel.Register(host.Listener, SelectorEvents.Read, (Callback)Accept);
        host.Ready("epoll (DefaultSelector)");
        while (!host.Stopping)
        {
            foreach ((SelectorKey key, SelectorEvents mask) in sel.Select(TimeSpan.FromMilliseconds(200)))
            {
                if (key.IsRegistered)
                {
                    var callback = (Callback)key.Data!;
                    callback((Socket)key.FileObject, mask);
                }
            }
        }
        foreach (SelectorKey key in sel.Keys)
        {
            if (key.FileObject != host.Listener)
            {
                Close((Socket)key.FileObject);
            }
        }
        return 0;
    }
}
