using Plexus.IO;
using Plexus.Lab.Native;
using Plexus.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// The echo loop of the <c>io-uring</c> model, one ring per process: a multishot accept, a
/// multishot receive per connection whose buffer the kernel picks from a provided-buffer ring when
/// data arrives, and sends queued as replies are ready. Each turn makes one <c>io_uring_enter</c>,
/// which submits everything queued in the previous turn and waits for the next completions.
/// </summary>
/// <remarks>
/// The completion model: when a receive completes the bytes are already in the process's memory —
/// both phases of the read (waiting, copying) happened in the kernel. Received bytes are copied
/// into the connection's out-buffer and the provided buffer goes straight back to the ring, so
/// buffers are only held for the length of one completion.
/// </remarks>
internal static unsafe class IoUringEchoLoop
{
    private const int ENOBUFS = 105;
    private const uint PollIn = 1;
    private const ulong Accept = 1, Receive = 2, Send = 3, Cancel = 4, Stop = 5;

    /// <summary>Serves <paramref name="listener"/> until <paramref name="stop"/> is cancelled or <paramref name="stopFd"/> (when not -1) is readable.</summary>
    public static void Serve(int listener, ServerStats stats, int stopFd, CancellationToken stop)
    {
        using var ring = new IoUring(entries: 4096, completionEntries: 32768);
        using IoUringBufferRing buffers = ring.RegisterBufferRing(groupId: 1, count: 4096, size: 2048);
        var connections = new UringConnection?[1024];
        var rearm = new List<UringConnection>();
        Span<IoUringCompletion> batch = stackalloc IoUringCompletion[512];
        try
        {
            Queue(ring).TryAccept(listener, Tag(Accept, listener), multishot: true);
            if (stopFd >= 0)
            {
                Queue(ring).TryPoll(stopFd, PollIn, Tag(Stop, stopFd));
            }
            while (!stop.IsCancellationRequested)
            {
                ring.SubmitAndWait(1, TimeSpan.FromMilliseconds(200));
                int n;
                while ((n = ring.GetCompletions(batch)) > 0)
                {
                    for (int i = 0; i < n; i++)
                    {
                        IoUringCompletion c = batch[i];
                        int fd = (int)(uint)c.UserData;
                        switch (c.UserData >> 32)
                        {
                            case Accept:
                                OnAccept(ring, buffers, listener, c, ref connections, stats);
                                break;
                            case Receive:
                                OnReceive(ring, buffers, connections, connections[fd]!, c, rearm, stats);
                                break;
                            case Send:
                                OnSend(ring, connections, connections[fd]!, c);
                                break;
                            case Stop:
                                return;
                        }
                    }
                }
                // Receives that found no free buffer were disarmed; this turn's completions freed buffers.
                foreach (UringConnection conn in rearm)
                {
                    if (!conn.Dead)
                    {
                        Arm(ring, buffers, conn);
                    }
                    else
                    {
                        CloseIfQuiet(connections, conn);
                    }
                }
                rearm.Clear();
            }
        }
        finally
        {
            ring.Dispose(); // cancels what is in flight before the connections' memory goes
            foreach (UringConnection? conn in connections)
            {
                if (conn is not null)
                {
                    Sys.Close(conn.Fd);
                    conn.Dispose();
                }
            }
        }
    }

    private static ulong Tag(ulong kind, int fd) => kind << 32 | (uint)fd;

    /// <summary>The ring, with room for one more operation: a full submission ring is submitted first.</summary>
    private static IoUring Queue(IoUring ring)
    {
        if (ring.Queued >= ring.SubmissionEntries)
        {
            ring.SubmitAndWait(0);
        }
        return ring;
    }

    private static void Arm(IoUring ring, IoUringBufferRing buffers, UringConnection conn)
    {
        conn.ReceiveArmed = true;
        Queue(ring).TryReceive(conn.Fd, buffers, Tag(Receive, conn.Fd), multishot: true);
    }

    private static void OnAccept(IoUring ring, IoUringBufferRing buffers, int listener, IoUringCompletion c, ref UringConnection?[] connections, ServerStats stats)
    {
        if (c.Result >= 0)
        {
            int fd = c.Result;
            if (fd >= connections.Length)
            {
                Array.Resize(ref connections, Math.Max(fd + 1, connections.Length * 2));
            }
            var conn = new UringConnection(fd);
            connections[fd] = conn;
            stats.AddConnection();
            Arm(ring, buffers, conn);
        }
        else if (c.Errno is Errnos.EMFILE or Errnos.ENFILE)
        {
            Accepting.OutOfDescriptors();
        }
        if (!c.HasMore)
        {
            Queue(ring).TryAccept(listener, Tag(Accept, listener), multishot: true);
        }
    }

    private static void OnReceive(IoUring ring, IoUringBufferRing buffers, UringConnection?[] connections, UringConnection conn, IoUringCompletion c, List<UringConnection> rearm, ServerStats stats)
    {
        if (c.Result > 0)
        {
            conn.Append(buffers.Received(c));
            buffers.Recycle(c.BufferId);
            stats.AddBytes(c.Result);
            if (!conn.SendInFlight && !conn.Dead)
            {
                StartSend(ring, conn);
            }
        }
        if (c.HasMore)
        {
            return;
        }
        conn.ReceiveArmed = false;
        if (c.Result > 0 || c.Errno == ENOBUFS)
        {
            rearm.Add(conn); // disarmed with the connection still open: arm again once buffers are back
            return;
        }
        conn.Dead = true; // end of stream, reset, or cancelled after a failed send
        CloseIfQuiet(connections, conn);
    }

    private static void OnSend(IoUring ring, UringConnection?[] connections, UringConnection conn, IoUringCompletion c)
    {
        if (c.Result < 0)
        {
            conn.InFlight = 0;
            conn.Dead = true;
            if (conn.ReceiveArmed)
            {
                Queue(ring).TryCancel(Tag(Receive, conn.Fd), Tag(Cancel, conn.Fd));
            }
            CloseIfQuiet(connections, conn);
            return;
        }
        conn.Sent(c.Result);
        if (conn.Dead)
        {
            CloseIfQuiet(connections, conn);
        }
        else if (conn.End > conn.Start)
        {
            StartSend(ring, conn); // the rest of a partial send, or bytes that arrived meanwhile
        }
    }

    private static void StartSend(IoUring ring, UringConnection conn)
    {
        conn.InFlight = conn.End - conn.Start;
        Queue(ring).TrySend(conn.Fd, (nint)(conn.Out + conn.Start), conn.InFlight, Tag(Send, conn.Fd));
    }

    private static void CloseIfQuiet(UringConnection?[] connections, UringConnection conn)
    {
        if (conn.Quiet && connections[conn.Fd] == conn)
        {
            connections[conn.Fd] = null;
            Sys.Close(conn.Fd);
            conn.Dispose();
        }
    }
}
