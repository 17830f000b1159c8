using System.Net.Sockets;
using Plexus.Native;

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
    /// Starts the thread on a raw listening descriptor (<see cref="Descriptors.ListenUnix"/>); it ends when
    /// the listener is shut down or closed. <paramref name="onClient"/> owns each accepted descriptor.
    /// </summary>
    public static void Start(SafeFd listener, string name, Action<SafeFd> onClient) =>
        new Thread(() =>
        {
            while (true)
            {
                int fd;
                bool added = false;
                try
                {
                    listener.DangerousAddRef(ref added);
                    fd = Sockets.Accept(listener.Fd, nonBlocking: false);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                finally
                {
                    if (added)
                    {
                        listener.DangerousRelease();
                    }
                }
                if (fd >= 0)
                {
                    onClient(new SafeFd(fd));
                }
                else if (-fd is Errnos.EMFILE or Errnos.ENFILE or Errnos.ENOBUFS or Errnos.ENOMEM or Errnos.ECONNABORTED)
                {
                    Thread.Sleep(s_retryPause); // as above: the connection waits in the queue
                }
                else if (-fd != Errnos.EINTR)
                {
                    return; // shut down (EINVAL) or closed (EBADF)
                }
            }
        }) { IsBackground = true, Name = name }.Start();

    /// <summary>
    /// True for an accept failure that says nothing about the listener: EMFILE/ENFILE (out of descriptors),
    /// ENOBUFS/ENOMEM, ECONNABORTED (the peer left before it was accepted).
    /// </summary>
    private static bool IsPassing(SocketError error) =>
        error is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable or SocketError.ConnectionAborted;
}
