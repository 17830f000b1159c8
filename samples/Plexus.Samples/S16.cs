using System.Net.Sockets;
using Plexus.IO.Selectors;

namespace Plexus.Samples;

/// <summary>
/// The seed's echo server on <c>select</c>: <c>inputs</c> are watched for reading, <c>outputs</c>
/// for writing, and each connection has a queue of data to send back. Made correct where the
/// seed is not: a send may take only part of the data (the rest stays queued), a peer that closes
/// or resets is removed, and a descriptor select cannot hold (1024 and up) is refused.
/// </summary>
internal static class S16
{
    private sealed class Connection(Socket socket)
    {
        public Socket Socket { get; } = socket;
        public Queue<byte[]> Outgoing { get; } = new();
        public int SentOfHead { get; set; }
    }

    public static int Run(string[] args)
    {
        using var host = new ServerHost(args);
        using var selector = new SelectSelector();
        selector.Register(host.Listener, SelectorEvents.Read);
        var connections = new Dictionary<Socket, Connection>();
        byte[] buffer = new byte[1024];
        int refused = 0;
        host.Ready("select");

        void Close(Connection c)
        {
            selector.Unregister(c.Socket);
            connections.Remove(c.Socket);
            c.Socket.Dispose();
        }

        while (!host.Stopping)
        {
            // A short timeout so a signal is noticed even when no client is active.
            foreach ((SelectorKey key, SelectorEvents events) in selector.Select(TimeSpan.FromMilliseconds(200)))
            {
                if (key.FileObject == host.Listener)
                {
                    while (TryAccept(host.Listener, out Socket? conn))
                    {
                        conn.Blocking = false;
                        try
                        {
                            selector.Register(conn, SelectorEvents.Read);
                            connections[conn] = new Connection(conn);
                        }
                        catch (ArgumentOutOfRangeException)
                        {
                            refused++;
                            conn.Dispose();
                        }
                    }
                    continue;
                }
                if (!key.IsRegistered || !connections.TryGetValue((Socket)key.FileObject, out Connection? c))
                {
                    continue;
                }
                if ((events & SelectorEvents.Read) != 0)
                {
                    int n = c.Socket.Receive(buffer, 0, buffer.Length, SocketFlags.None, out SocketError error);
                    if (error == SocketError.WouldBlock)
                    {
                        continue;
                    }
                    if (error != SocketError.Success || n == 0)
                    {
                        Close(c);
                        continue;
                    }
                    c.Outgoing.Enqueue(buffer[..n]);
                    selector.Modify(c.Socket, SelectorEvents.Read | SelectorEvents.Write);
                }
                if ((events & SelectorEvents.Write) != 0 && c.Outgoing.Count > 0)
                {
                    if (!Flush(c))
                    {
                        Close(c);
                        continue;
                    }
                    if (c.Outgoing.Count == 0)
                    {
                        selector.Modify(c.Socket, SelectorEvents.Read);
                    }
                }
            }
        }
        foreach (Connection c in connections.Values.ToList())
        {
            Close(c);
        }
        if (refused > 0)
        {
            Console.Error.WriteLine($"refused {refused} connections whose descriptors select() cannot watch (>= {SelectSelector.FdSetSize})");
        }
        return 0;
    }

    /// <summary>Sends what the socket takes now; false if the peer is gone.</summary>
    private static bool Flush(Connection c)
    {
        while (c.Outgoing.TryPeek(out byte[]? head))
        {
            int n = c.Socket.Send(head, c.SentOfHead, head.Length - c.SentOfHead, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                return true;
            }
            if (error != SocketError.Success)
            {
                return false;
            }
            c.SentOfHead += n;
            if (c.SentOfHead < head.Length)
            {
                return true;
            }
            c.Outgoing.Dequeue();
            c.SentOfHead = 0;
        }
        return true;
    }

    internal static bool TryAccept(Socket listener, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Socket? conn)
    {
        try
        {
            conn = listener.Accept();
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.ConnectionAborted)
        {
            conn = null;
            return false;
        }
    }
}
