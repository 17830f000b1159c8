using System.Net.Sockets;

namespace Plexus.Processes;

/// <summary>A background thread that accepts connections until its listener is closed.</summary>
internal static class AcceptThread
{
    /// <summary>How long to wait before accepting again after the process ran out of descriptors or buffers.</summary>
    private static readonly TimeSpan s_retryPause = TimeSpan.FromMilliseconds(50);

    /// <summary>Starts the thread; <paramref name="onClient"/> runs on it for each accepted connection.</summary>
    public static void Start(Socket listener, string name, Action<Socket> onClient) =>
        new Thread(() =>
        {
            while (true)
            {
                Socket client;
                try
                {
                    client = listener.Accept();
                }
                catch (SocketException e) when (IsPassing(e.SocketErrorCode))
                {
                    // The pending connection stays queued (or its peer already left): accepting again once
                    // descriptors free up serves it; ending here would refuse every later client.
                    Thread.Sleep(s_retryPause);
                    continue;
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return; // the listener was closed
                }
                onClient(client);
            }
        }) { IsBackground = true, Name = name }.Start();

    /// <summary>
    /// True for an accept failure that says nothing about the listener: EMFILE/ENFILE (out of descriptors),
    /// ENOBUFS/ENOMEM, ECONNABORTED (the peer left before it was accepted).
    /// </summary>
    private static bool IsPassing(SocketError error) =>
        error is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable or SocketError.ConnectionAborted;
}
