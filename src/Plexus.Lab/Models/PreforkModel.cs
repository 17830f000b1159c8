using System.Net;
using Plexus.Lab.Native;
using Plexus.Processes;

namespace Plexus.Lab.Models;

/// <summary>
/// N worker processes, each with its own listening socket on the same port (<c>SO_REUSEPORT</c>:
/// the kernel spreads new connections across them) and its own epoll loop. No fork in .NET, so the
/// workers are Plexus child processes; a control pipe tells each to stop and brings its counts back.
/// Each worker runs <paramref name="loop"/>: epoll for <c>prefork</c>, a ring for <c>io-uring --workers N</c>.
/// </summary>
internal sealed class PreforkModel(WorkerLoop loop = WorkerLoop.Epoll) : ServerModel
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);

    public override void Run(ServeOptions options, ServerStats stats, Action<string> log, Action ready, CancellationToken stop)
    {
        int workers = options.Workers > 0 ? options.Workers : Environment.ProcessorCount;
        // Bound but not listening: it fails fast on a port in use and keeps the port while workers
        // bind, yet receives no connections itself (only listening sockets join the reuseport group).
        int reservation = Sys.Listen(options.Host, options.Port, reusePort: true, listen: false);
        var children = new List<(ChildProcess Child, Connection Control)>();
        try
        {
            for (int i = 0; i < workers; i++)
            {
                (Connection mine, Connection theirs) = ProcessPipe.Create();
                ChildProcess child;
                try
                {
                    child = ChildProcess.Create(Worker, options.Host.ToString(), options.Port, (int)loop, theirs);
                    child.Name = $"prefork-{i + 1}";
                    child.Start();
                }
                catch
                {
                    mine.Dispose();
                    theirs.Dispose();
                    throw;
                }
                children.Add((child, mine));
            }
            foreach ((ChildProcess child, Connection control) in children)
            {
                if (!control.TryReceive(s_startTimeout, out string answer))
                {
                    throw new LabException($"prefork worker {child.Name} did not start listening within {s_startTimeout.TotalSeconds:0} s");
                }
                if (answer != "listening")
                {
                    throw new LabException($"prefork worker {child.Name}: {answer}");
                }
            }
            Sys.Close(reservation);
            reservation = -1;
            log($"{(loop == WorkerLoop.Epoll ? "prefork" : "io-uring")}: {workers} worker processes share the port (SO_REUSEPORT), pids {string.Join(", ", children.Select(c => c.Child.Pid))}");
            ready();
            stop.WaitHandle.WaitOne();
        }
        finally
        {
            if (reservation >= 0)
            {
                Sys.Close(reservation);
            }
            foreach ((ChildProcess child, Connection control) in children)
            {
                try
                {
                    control.Send("stop");
                    if (control.TryReceive(TimeSpan.FromSeconds(5), out long[] counts) && counts.Length == 2)
                    {
                        stats.AddConnections(counts[0]);
                        stats.AddBytes(counts[1]);
                    }
                }
                catch (Exception e) when (e is EndOfStreamException or IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
                {
                    // A worker that died already has nothing to report; Dispose below reaps it.
                }
            }
            foreach ((ChildProcess child, Connection control) in children)
            {
                if (!child.Join(TimeSpan.FromSeconds(5)))
                {
                    child.Kill();
                    child.Join(TimeSpan.FromSeconds(5));
                }
                child.Dispose();
                control.Dispose();
            }
        }
    }

    /// <summary>A worker process: listen with SO_REUSEPORT, run its loop until the parent says stop.</summary>
    private static void Worker(string host, int port, int loop, Connection control)
    {
        using (control)
        {
            int listener;
            try
            {
                listener = Sys.Listen(IPAddress.Parse(host), port, reusePort: true);
            }
            catch (LabException e)
            {
                control.Send($"cannot listen: {e.Message}");
                return;
            }
            control.Send("listening");
            var stats = new ServerStats();
            try
            {
                if ((WorkerLoop)loop == WorkerLoop.IoUring)
                {
                    IoUringEchoLoop.Serve(listener, stats, stopFd: control.Fd, CancellationToken.None);
                }
                else
                {
                    EpollModel.Serve(listener, edgeTriggered: false, stats, stopFd: control.Fd, CancellationToken.None);
                }
            }
            finally
            {
                Sys.Close(listener);
            }
            try
            {
                control.Send(new[] { stats.Connections, stats.Bytes });
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or EndOfStreamException)
            {
                // The parent is gone; nobody to report to.
            }
        }
    }
}
