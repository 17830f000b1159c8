using System.Diagnostics;
using System.Net.Sockets;
using Plexus.Native;

namespace Plexus.Processes;

/// <summary>A background thread that accepts connections until its listener is closed.</summary>
internal static class AcceptThread
{
    /// <summary>How long to wait before accepting again after the process ran out of descriptors or buffers.</summary>
    private static readonly TimeSpan s_retryPause = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How long a guarded loop lets a connection wait for descriptors before it turns it away: long
    /// enough for clients that just closed to be cleaned up, short against a client's patience.
    /// </summary>
    private static readonly TimeSpan s_shortageGrace = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Descriptors a guarded loop holds in reserve: enough to accept one more client at the limit and
    /// start its thread (a .NET thread opens a pipe, two descriptors, while it starts).
    /// </summary>
    private const int ReserveSize = 3;

    /// <summary>What a thread's start opens for a moment (a pipe).</summary>
    private const int ThreadStartDescriptors = 2;

    /// <summary>Starts the thread; <paramref name="onClient"/> runs on it for each accepted connection.</summary>
    public static void Start(Socket listener, string name, Action<Socket> onClient) =>
        new Thread(() => Loop(listener, onClient)) { IsBackground = true, Name = name }.Start();

    /// <summary>
    /// Starts a thread that accepts at the process's descriptor limit too, with a <see cref="DescriptorReserve"/>:
    /// <paramref name="onClient"/> starts a thread per client (false when none could be started; the socket is
    /// then still open), and a client that cannot be served within <see cref="s_shortageGrace"/> of a continuous
    /// shortage goes to <paramref name="refuse"/>, which tells it why (the socket is closed after). No
    /// connection is closed without an answer, and one that met only a passing peak is served.
    /// </summary>
    public static void StartGuarded(Socket listener, string name, Func<Socket, bool> onClient, Action<Socket> refuse)
    {
        // Made here, so that a process already out of descriptors fails to start its server, not the thread.
        DescriptorReserve reserve = new(ReserveSize);
        reserve.Refill();
        new Thread(() =>
        {
            using (reserve)
            {
                GuardedLoop(listener, reserve, onClient, refuse);
            }
        }) { IsBackground = true, Name = name }.Start();
    }

    private static void Loop(Socket listener, Action<Socket> onClient)
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
    }

    private static void GuardedLoop(Socket listener, DescriptorReserve reserve, Func<Socket, bool> onClient, Action<Socket> refuse)
    {
        // When the shortage that keeps the waiting connections out began (a Stopwatch timestamp); 0: none.
        long shortSince = 0;
        while (true)
        {
            Socket? client;
            try
            {
                if (shortSince != 0 && !listener.Poll(0, SelectMode.SelectRead))
                {
                    shortSince = 0; // every waiting connection was answered: the next one gets a whole grace
                }
                client = listener.Accept();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TooManyOpenSockets)
            {
                if (reserve.Held == ReserveSize)
                {
                    // A whole reserve serves one more client: its socket and its thread's start.
                    reserve.Release(ReserveSize);
                    if (AcceptWithFreedDescriptor(listener) is not { } served)
                    {
                        return;
                    }
                    Serve(served, reserve, onClient, refuse);
                    continue;
                }
                shortSince = shortSince == 0 ? Stopwatch.GetTimestamp() : shortSince;
                if (Stopwatch.GetElapsedTime(shortSince) < s_shortageGrace || !reserve.Release(1))
                {
                    Thread.Sleep(s_retryPause);
                    continue;
                }
                if (AcceptWithFreedDescriptor(listener) is not { } refused)
                {
                    return;
                }
                Refuse(refused, refuse);
                reserve.Refill(); // takes back the descriptor the refused connection held
                continue;
            }
            catch (SocketException e) when (IsPassing(e.SocketErrorCode))
            {
                Thread.Sleep(s_retryPause);
                continue;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return; // the listener was closed
            }
            Serve(client, reserve, onClient, refuse);
        }
    }

    /// <summary>
    /// Starts <paramref name="client"/>'s thread with descriptors from the reserve, retrying while the process
    /// is short of them for at most <see cref="s_shortageGrace"/>; then the client is refused.
    /// </summary>
    private static void Serve(Socket client, DescriptorReserve reserve, Func<Socket, bool> onClient, Action<Socket> refuse)
    {
        long since = Stopwatch.GetTimestamp();
        while (true)
        {
            reserve.Release(ThreadStartDescriptors);
            bool started = onClient(client);
            reserve.Refill();
            if (started)
            {
                return;
            }
            if (Stopwatch.GetElapsedTime(since) >= s_shortageGrace)
            {
                Refuse(client, refuse);
                return;
            }
            Thread.Sleep(s_retryPause / 5);
        }
    }

    /// <summary>Accepts with the descriptor the reserve just gave up: the connection, or null when the listener was closed.</summary>
    private static Socket? AcceptWithFreedDescriptor(Socket listener)
    {
        while (true)
        {
            try
            {
                return listener.Accept();
            }
            catch (SocketException e) when (IsPassing(e.SocketErrorCode))
            {
                Thread.Sleep(s_retryPause); // another thread took the descriptor first
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return null;
            }
        }
    }

    private static void Refuse(Socket client, Action<Socket> refuse)
    {
        try
        {
            refuse(client);
        }
        finally
        {
            client.Dispose();
        }
    }

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
                else if (IsPassing(-fd))
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

    /// <summary>The same, by errno (a raw <see cref="Sockets.Accept"/>).</summary>
    private static bool IsPassing(int errno) =>
        errno is Errnos.EMFILE or Errnos.ENFILE or Errnos.ENOBUFS or Errnos.ENOMEM or Errnos.ECONNABORTED;
}
