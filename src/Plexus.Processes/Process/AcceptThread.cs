using System.Net.Sockets;

namespace Plexus.Processes;

/// <summary>A background thread that accepts connections until its listener is closed.</summary>
internal static class AcceptThread
{
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
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return; // the listener was closed
                }
                onClient(client);
            }
        }) { IsBackground = true, Name = name }.Start();
}
