using System.Globalization;
using System.Runtime.ExceptionServices;
using Plexus.Lab.Native;
using Plexus.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// The seed's signal-driven I/O model: every socket is <c>O_ASYNC</c>, and the kernel queues a
/// real-time signal naming the socket when it becomes ready (<c>F_SETSIG</c>). The signals are
/// blocked and taken synchronously from a signalfd, so no work happens in a signal handler; the
/// socket a signal names is then read (the copy phase is still the process's, as with select).
/// </summary>
/// <remarks>
/// <para>Signals go to one thread only: the serving thread blocks the signal, and each socket's owner is
/// that thread (<c>F_SETOWN_EX</c>, <c>F_OWNER_TID</c>). Directed at a process instead, the signal could
/// land on any thread that does not block it — a .NET runtime thread, say — whose default action
/// for an unhandled real-time signal is to terminate the process.</para>
/// <para>The real-time queue is bounded (<c>RLIMIT_SIGPENDING</c>, per user). When it is full the kernel
/// sends a plain SIGIO, which names no socket: the model then reads every socket (a rescan), as a
/// poll loop would. SIGIO is dequeued before the rescan starts, so readiness during the rescan
/// raises a fresh signal. <c>PLEXUS_SIGIO_SIGPENDING=N</c> lowers the limit to force this (tests).</para>
/// </remarks>
internal sealed class SigioModel : ServerModel
{
    /// <summary>The environment variable that lowers this server's pending-signal limit (forces overflows).</summary>
    public const string PendingLimitVariable = "PLEXUS_SIGIO_SIGPENDING";

    public override void Run(ServeOptions options, ServerStats stats, Action<string> log, Action ready, CancellationToken stop)
    {
        if (Environment.GetEnvironmentVariable(PendingLimitVariable) is { } text)
        {
            if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long limit) || limit < 0)
            {
                throw new LabException($"{PendingLimitVariable}='{text}' is not a count; unset it or give a number like 16");
            }
            PendingSignalLimit.SetSoft(limit);
            log($"sigio: pending-signal limit (RLIMIT_SIGPENDING) lowered to {limit}");
        }
        int listener = Sys.Listen(options.Host, options.Port, reusePort: false);
        ExceptionDispatchInfo? failure = null;
        // A thread of its own: its signal mask is set for good, and signals pending for it die with it.
        var serving = new Thread(() =>
        {
            try
            {
                Serve(listener, stats, log, ready, stop);
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        { Name = "sigio", IsBackground = true };
        serving.Start();
        serving.Join();
        failure?.Throw();
    }

    private static void Serve(int listener, ServerStats stats, Action<string> log, Action ready, CancellationToken stop)
    {
        // SIGRTMIN+4: the runtime uses SIGRTMIN itself (thread activation); nothing in the process uses +4.
        int signal = Signals.RealTimeMin + 4;
        Sys.BlockSignals(signal, Signals.SigIo);
        int sfd = Sys.SignalFdCreate(signal, Signals.SigIo);
        int tid = Sys.ThreadId();
        var connections = new EchoConnection?[1024];
        byte[] buffer = new byte[64 * 1024];
        Span<SignalFdInfo> infos = stackalloc SignalFdInfo[64];
        long overflows = 0;
        try
        {
            Sys.EnableSignalDrivenIo(listener, signal, tid);
            ready();
            AcceptAll(listener, signal, tid, ref connections, buffer, stats); // connections that came before O_ASYNC
            while (!stop.IsCancellationRequested)
            {
                int n = Sys.SignalFdRead(sfd, infos);
                if (n < 0)
                {
                    if (n != -Errnos.EAGAIN && n != -Errnos.EINTR)
                    {
                        Sys.Check(n, "read(signalfd)");
                    }
                    Sys.WaitReadable(sfd, 200);
                    continue;
                }
                bool overflowed = false;
                for (int i = 0; i < n; i++)
                {
                    if (infos[i].Signal == Signals.SigIo)
                    {
                        overflowed = true;
                        continue;
                    }
                    int fd = infos[i].Fd;
                    if (fd == listener)
                    {
                        AcceptAll(listener, signal, tid, ref connections, buffer, stats);
                    }
                    else if ((uint)fd < (uint)connections.Length && connections[fd] is { } c)
                    {
                        Service(c, connections, buffer, stats);
                    }
                }
                if (overflowed)
                {
                    overflows++;
                    AcceptAll(listener, signal, tid, ref connections, buffer, stats);
                    foreach (EchoConnection? c in connections)
                    {
                        if (c is not null)
                        {
                            Service(c, connections, buffer, stats);
                        }
                    }
                }
            }
        }
        finally
        {
            foreach (EchoConnection? c in connections)
            {
                if (c is not null)
                {
                    Sys.Close(c.Fd);
                }
            }
            Sys.Close(listener);
            Sys.Close(sfd);
        }
        log($"sigio: {overflows} real-time signal queue overflows (SIGIO), each answered by a rescan of every socket");
    }

    /// <summary>
    /// Signals are edge-like (one per arrival), so a serviced socket is written and read until
    /// <c>EAGAIN</c>: data left behind would raise no further signal.
    /// </summary>
    private static void Service(EchoConnection c, EchoConnection?[] connections, byte[] buffer, ServerStats stats)
    {
        if (!(c.OnWritable() && c.OnReadable(buffer, stats, drain: true)))
        {
            connections[c.Fd] = null;
            Sys.Close(c.Fd);
        }
    }

    private static void AcceptAll(int listener, int signal, int tid, ref EchoConnection?[] connections, byte[] buffer, ServerStats stats)
    {
        for (int fd = Accepting.Accept(listener, nonBlocking: true); fd >= 0; fd = Accepting.Accept(listener, nonBlocking: true))
        {
            if (fd >= connections.Length)
            {
                Array.Resize(ref connections, Math.Max(fd + 1, connections.Length * 2));
            }
            var c = new EchoConnection(fd);
            connections[fd] = c;
            stats.AddConnection();
            Sys.EnableSignalDrivenIo(fd, signal, tid);
            // Bytes that arrived before O_ASYNC was set raised no signal: read them now.
            Service(c, connections, buffer, stats);
        }
    }
}
