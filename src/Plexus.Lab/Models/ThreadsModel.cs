using Plexus.Lab.Native;
using Plexus.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// Blocking I/O, a thread per connection (the seed's first model). Simple code, but every connection
/// holds a thread stack and every message costs a thread wake-up and a context switch.
/// </summary>
internal sealed class ThreadsModel : ServerModel
{
    private readonly Lock _gate = new();
    private readonly HashSet<int> _open = [];
    private readonly List<Thread> _threads = [];
    private bool _warned;

    public override void Run(ServeOptions options, ServerStats stats, Action<string> log, Action ready, CancellationToken stop)
    {
        int listener = Sys.Listen(options.Host, options.Port, reusePort: false);
        try
        {
            ready();
            while (!stop.IsCancellationRequested)
            {
                if (!Sys.WaitReadable(listener, 200))
                {
                    continue;
                }
                int fd = Accepting.Accept(listener, nonBlocking: false);
                if (fd < 0)
                {
                    continue;
                }
                stats.AddConnection();
                lock (_gate)
                {
                    _open.Add(fd);
                    _threads.RemoveAll(t => !t.IsAlive);
                    var thread = new Thread(() => Echo(fd, stats), maxStackSize: 128 * 1024) { IsBackground = true, Name = "echo" };
                    try
                    {
                        thread.Start();
                        _threads.Add(thread);
                    }
                    catch (Exception e) when (e is ThreadStateException or OutOfMemoryException)
                    {
                        // No thread to be had (memory or descriptors ran out): this connection is refused.
                        _open.Remove(fd);
                        Sys.Close(fd);
                        if (!_warned)
                        {
                            _warned = true;
                            log($"threads: cannot start a thread for a connection ({e.GetType().Name}: memory or descriptors ran out); closing such connections");
                        }
                    }
                }
            }
        }
        finally
        {
            Sys.Close(listener);
            Thread[] threads;
            lock (_gate)
            {
                foreach (int fd in _open)
                {
                    Sys.ShutdownBoth(fd); // wakes the thread blocked in read
                }
                threads = [.. _threads];
            }
            foreach (Thread t in threads)
            {
                t.Join(TimeSpan.FromSeconds(5));
            }
        }
    }

    private void Echo(int fd, ServerStats stats)
    {
        Span<byte> buffer = stackalloc byte[4096];
        try
        {
            while (true)
            {
                int n = Sys.Read(fd, buffer);
                if (n <= 0)
                {
                    if (n == -Errnos.EINTR)
                    {
                        continue;
                    }
                    return; // EOF or reset
                }
                stats.AddBytes(n);
                for (int sent = 0; sent < n;)
                {
                    int w = Sys.Write(fd, buffer[sent..n]);
                    if (w < 0)
                    {
                        if (w == -Errnos.EINTR)
                        {
                            continue;
                        }
                        return;
                    }
                    sent += w;
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                _open.Remove(fd);
                Sys.Close(fd);
            }
        }
    }
}
