using System.Net.Sockets;
using Plexus.Lab.Native;
using Plexus.Processes;

namespace Plexus.Lab.Models;

/// <summary>
/// A process per connection (the seed's first model, as CGI or inetd did): the parent accepts and
/// moves each socket to a new child process (<see cref="SharedSocket"/>, over SCM_RIGHTS), which
/// echoes with blocking calls until the peer closes. Pre-started hosts hide part of the start-up
/// cost; <c>--max-processes</c> caps the children, and connections beyond it wait in the backlog.
/// </summary>
internal sealed class ProcessesModel : ServerModel
{
    private readonly Lock _gate = new();
    private readonly HashSet<ChildProcess> _children = [];
    private bool _stopping;

    public override void Run(ServeOptions options, ServerStats stats, Action<string> log, Action ready, CancellationToken stop)
    {
        int max = Math.Max(1, options.MaxProcesses);
        int listener = Sys.Listen(options.Host, options.Port, reusePort: false);
        using var slots = new SemaphoreSlim(max);
        var reports = new List<Task>();
        bool warned = false;
        try
        {
            ChildProcess.Prestart(Math.Min(max, 4));
            ready();
            while (!stop.IsCancellationRequested)
            {
                if (!Sys.WaitReadable(listener, 200))
                {
                    continue;
                }
                if (!slots.Wait(0, CancellationToken.None))
                {
                    if (!warned)
                    {
                        warned = true;
                        log($"processes: {max} children busy (--max-processes {max}); new connections wait in the backlog until one exits");
                    }
                    try
                    {
                        slots.Wait(stop);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
                int fd = Accepting.Accept(listener, nonBlocking: false);
                if (fd < 0)
                {
                    slots.Release();
                    continue;
                }
                stats.AddConnection();
                lock (_gate)
                {
                    reports.RemoveAll(t => t.IsCompleted);
                    // Start off the accept loop: several children can start at once.
                    reports.Add(Task.Run(() => ServeConnectionAsync(fd, stats, slots, log), CancellationToken.None));
                }
            }
        }
        finally
        {
            Sys.Close(listener);
            ChildProcess[] running;
            lock (_gate)
            {
                _stopping = true;
                running = [.. _children];
            }
            foreach (ChildProcess child in running)
            {
                child.Terminate();
            }
            Task[] pending;
            lock (_gate)
            {
                pending = [.. reports];
            }
            if (!Task.WaitAll(pending, TimeSpan.FromSeconds(10)))
            {
                foreach (ChildProcess child in running)
                {
                    child.Kill();
                }
                Task.WaitAll(pending, TimeSpan.FromSeconds(5));
            }
        }
    }

    private async Task ServeConnectionAsync(int fd, ServerStats stats, SemaphoreSlim slots, Action<string> log)
    {
        var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        (Connection reader, Connection writer) = ProcessPipe.Create(duplex: false);
        ChildProcess child;
        try
        {
            child = ChildProcess.Create(ServeOne, new SharedSocket(socket), writer);
            child.Start();
        }
        catch (Exception e)
        {
            log($"processes: could not start a child for a connection ({e.Message}); closing it");
            socket.Dispose();
            reader.Dispose();
            writer.Dispose();
            Release(slots);
            return;
        }
        lock (_gate)
        {
            _children.Add(child);
            if (_stopping)
            {
                child.Terminate(); // started while the server was stopping
            }
        }
        await ReapAsync(child, reader, stats, slots).ConfigureAwait(false);
    }

    private static void Release(SemaphoreSlim slots)
    {
        try
        {
            slots.Release();
        }
        catch (ObjectDisposedException)
        {
            // Shutting down: nobody waits for a slot any more.
        }
    }

    private async Task ReapAsync(ChildProcess child, Connection reader, ServerStats stats, SemaphoreSlim slots)
    {
        try
        {
            await child.JoinAsync().ConfigureAwait(false);
            if (child.ExitCode == 0 && reader.TryReceive(TimeSpan.FromSeconds(1), out long bytes))
            {
                stats.AddBytes(bytes);
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or SocketException)
        {
            // The child died before reporting (terminated at shutdown): its bytes are not counted.
        }
        finally
        {
            reader.Dispose();
            child.Dispose();
            lock (_gate)
            {
                _children.Remove(child);
            }
            Release(slots);
        }
    }

    /// <summary>The child: take the moved socket, echo until the peer closes, report the byte count.</summary>
    private static void ServeOne(SharedSocket shared, Connection report)
    {
        using Socket socket = shared.Take();
        byte[] buffer = new byte[4096];
        long bytes = 0;
        try
        {
            while (true)
            {
                int n = socket.Receive(buffer);
                if (n == 0)
                {
                    break;
                }
                bytes += n;
                socket.Send(buffer, 0, n, SocketFlags.None); // blocking Send writes every byte
            }
        }
        catch (SocketException)
        {
            // Peer reset: this connection ends here.
        }
        using (report)
        {
            report.Send(bytes);
        }
    }
}
