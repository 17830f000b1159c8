using System.Net.Sockets;
using System.Runtime.InteropServices;
using Plexus.Native;
using NativePoll = Plexus.Native.Poll;

namespace Plexus.Processes;

/// <summary>Waiting on many connections, children, sockets and listeners at once.</summary>
public sealed partial class Connection
{
    /// <summary>
    /// Waits until at least one of <paramref name="objects"/> is ready and returns the ready ones, in the
    /// order given (Python's <c>multiprocessing.connection.wait</c>): a <see cref="Connection"/> with a
    /// frame to read or whose peer closed (a receive will not block), a <see cref="ChildProcess"/> that has
    /// ended (its <see cref="ChildProcess.Sentinel"/>), a <see cref="System.Net.Sockets.Socket"/> with data,
    /// a pending client or a closed peer, a <see cref="ProcessListener"/> with a client waiting.
    /// </summary>
    /// <param name="objects">What to wait on; the same object may appear twice.</param>
    /// <param name="timeout">How long to wait; null waits without limit, zero only looks.</param>
    /// <param name="cancellationToken">Ends the wait with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The ready objects; empty when the timeout passed first.</returns>
    /// <exception cref="ArgumentException">An object is of another type.</exception>
    /// <exception cref="ObjectDisposedException">An object is closed or disposed.</exception>
    /// <exception cref="InvalidOperationException">A connection is a sending-only end, or a child is not started.</exception>
    public static IReadOnlyList<object> Wait(IEnumerable<object> objects, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(objects);
        object[] items = [.. objects];
        var handles = new SafeHandle?[items.Length];
        var polled = new PollFd[items.Length + 1];
        bool[] ready = new bool[items.Length];
        bool anyBuffered = false;
        int cancelFd = -1;
        CancellationTokenRegistration registration = default;
        try
        {
            for (int i = 0; i < items.Length; i++)
            {
                SafeHandle handle = HandleOf(items[i], out bool buffered);
                bool added = false;
                handle.DangerousAddRef(ref added);
                handles[i] = handle;
                // A frame already buffered here is ready whatever the descriptor says; the others are only looked at.
                ready[i] = buffered;
                anyBuffered |= buffered;
                polled[i] = new PollFd { Fd = (int)handle.DangerousGetHandle(), Events = NativePoll.In };
            }
            int count = items.Length;
            if (cancellationToken.CanBeCanceled)
            {
                cancelFd = EventFd.Create(nonBlocking: true);
                polled[count++] = new PollFd { Fd = cancelFd, Events = NativePoll.In };
                registration = cancellationToken.Register(static fd => EventFd.Signal((int)fd!), cancelFd);
            }
            cancellationToken.ThrowIfCancellationRequested();
            PollUntil(polled.AsSpan(0, count), anyBuffered ? TimeSpan.Zero : timeout ?? Timeout.InfiniteTimeSpan);
            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            // The registration goes first: once it is disposed no callback can signal a closed (or reused) descriptor.
            registration.Dispose();
            Descriptors.Close(cancelFd);
            foreach (SafeHandle? handle in handles)
            {
                handle?.DangerousRelease();
            }
        }
        List<object> result = [];
        for (int i = 0; i < items.Length; i++)
        {
            if (ready[i] || polled[i].REvents != 0)
            {
                result.Add(items[i]);
            }
        }
        return result;
    }

    /// <summary>The descriptor to poll for <paramref name="item"/>; <paramref name="buffered"/> when a connection already holds a whole frame header.</summary>
    private static SafeHandle HandleOf(object item, out bool buffered)
    {
        buffered = false;
        switch (item)
        {
            case Connection connection:
                connection.EnsureReadable();
                buffered = connection._end - connection._start >= HeaderSize;
                return connection._fd;
            case ChildProcess child:
                return child.SentinelHandle;
            case Socket socket:
                return socket.SafeHandle;
            case ProcessListener listener:
                return listener.Socket.SafeHandle;
            default:
                throw new ArgumentException(
                    $"Connection.Wait waits on connections, child processes, sockets and listeners, not on {item?.GetType().FullName ?? "null"}");
        }
    }

    /// <summary>Polls until something is ready or <paramref name="timeout"/> passes, across signal interruptions.</summary>
    private static void PollUntil(Span<PollFd> polled, TimeSpan timeout)
    {
        long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + ToMilliseconds(timeout);
        while (true)
        {
            int wait = deadline == long.MaxValue ? -1 : (int)Math.Clamp(deadline - Environment.TickCount64, 0, int.MaxValue);
            int n = NativePoll.Wait(polled, wait);
            if (n >= 0)
            {
                return;
            }
            if (n != -Errnos.EINTR)
            {
                throw new ErrnoException("poll", -n, "Connection.Wait");
            }
        }
    }
}
