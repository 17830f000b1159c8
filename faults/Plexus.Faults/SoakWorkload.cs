using System.Diagnostics;
using Plexus.Processes;

namespace Plexus.Faults;

/// <summary>
/// The soak's mixed workload, each part a loop on its own thread until stopped, each checking its
/// results: pool maps on a long-lived pool; a long-lived queue with a producer child; manager calls on
/// a long-lived manager, plus a short-lived child using the same proxy each round; short-lived
/// queues and children each round (churn); echo load through <c>plexus serve</c>/<c>plexus load</c>.
/// </summary>
internal sealed class SoakWorkload(string plexusDll) : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Thread> _threads = [];
    private readonly List<string> _errors = [];
    private ProcessPool? _pool;
    private ProcessManager? _manager;
    private LabServer? _server;

    /// <summary>Long-lived processes by pid, with the role the chart names them by.</summary>
    public Dictionary<int, string> Roles { get; } = [];

    public long Rounds;

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    public void Start()
    {
        Roles[Environment.ProcessId] = "faults (parent)";
        _pool = new ProcessPool(2);
        _pool.Map(Square, [1L, 2L]); // workers up, so their pids are known
        foreach (int pid in _pool.WorkerPids)
        {
            Roles[pid] = $"pool worker {pid}";
        }
        _manager = new ProcessManager().Start();
        Roles[_manager.ServerPid!.Value] = "manager";
        Environment.SetEnvironmentVariable("PLEXUS_DLL", plexusDll);
        _server = new LabServer("epoll");
        Roles[_server.Pid] = "plexus serve (epoll)";
        Loop("pool", PoolRound);
        Loop("manager", ManagerRound);
        Loop("queue", QueueRound);
        Loop("load", LoadRound);
    }

    private void Loop(string name, Action round) =>
        _threads.Add(Start(new Thread(() =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    round();
                    Interlocked.Increment(ref Rounds);
                }
                catch (Exception e) when (!_stop.IsCancellationRequested)
                {
                    lock (_errors)
                    {
                        _errors.Add($"{name}: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
                    }
                    Thread.Sleep(1000);
                }
                catch (Exception)
                {
                    return;
                }
            }
        }) { Name = $"soak-{name}", IsBackground = true }));

    private static Thread Start(Thread thread)
    {
        thread.Start();
        return thread;
    }

    private void PoolRound()
    {
        List<long> squares = _pool!.Map(Square, Enumerable.Range(0, 2000).Select(i => (long)i), 50);
        Check.That(squares.Count == 2000 && squares[1999] == 1999L * 1999, "pool map returned wrong results");
        _ = _pool.SubmitAsync(Square, 7L).Result;
    }

    private void ManagerRound()
    {
        ManagedDictionary counters = _manager!.GetOrCreateDictionary("soak");
        ManagedList list = _manager.GetOrCreateList("soak-list");
        ManagedLock gate = _manager.GetOrCreateLock("soak-lock");
        long before = counters.Increment("n", 0);
        for (int i = 0; i < 200; i++)
        {
            counters.Increment("n");
            list.Add(i);
            gate.Acquire();
            gate.Release();
        }
        list.Clear();
        using (ChildProcess child = ChildProcess.Create(BumpFromChild, counters).Start())
        {
            Check.That(child.Join(TimeSpan.FromSeconds(60)) && child.ExitCode == 0, $"manager child exit {child.ExitCode}");
        }
        long after = counters.Increment("n", 0);
        Check.That(after == before + 300, $"manager counter {before} -> {after}, expected +300");
        _stop.Token.WaitHandle.WaitOne(500);
    }

    private void QueueRound()
    {
        using var queue = new ProcessQueue<long>(maxSize: 500);
        using ChildProcess child = ChildProcess.Create(Produce, queue, 20_000L).Start();
        for (long i = 0; i < 20_000; i++)
        {
            long got = queue.Get(TimeSpan.FromSeconds(60));
            Check.That(got == i, $"queue item {got} where {i} was due");
        }
        Check.That(child.Join(TimeSpan.FromSeconds(60)) && child.ExitCode == 0, $"producer exit {child.ExitCode}");
        _stop.Token.WaitHandle.WaitOne(500);
    }

    private void LoadRound()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { plexusDll, "load", "--port", _server!.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--connections", "50", "--duration", "15s" })
        {
            start.ArgumentList.Add(arg);
        }
        using Process load = Process.Start(start)!;
        Task<string> output = load.StandardOutput.ReadToEndAsync();
        Task<string> error = load.StandardError.ReadToEndAsync();
        if (!load.WaitForExit(60_000))
        {
            Sys.Signal(load.Id, Sys.SigKill);
            load.WaitForExit();
            throw new FaultCheckException("plexus load still running after 60 s");
        }
        Check.That(load.ExitCode == 0, $"plexus load exited {load.ExitCode}: {error.Result.Trim()} {output.Result.Trim()}");
        _stop.Token.WaitHandle.WaitOne(2000);
    }

    private static long Square(long x) => x * x;

    private static void Produce(ProcessQueue<long> queue, long count)
    {
        for (long i = 0; i < count; i++)
        {
            queue.Put(i);
        }
    }

    private static void BumpFromChild(ManagedDictionary counters)
    {
        for (int i = 0; i < 100; i++)
        {
            counters.Increment("n");
        }
    }

    public void Stop()
    {
        _stop.Cancel();
        foreach (Thread thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(90));
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _server?.Stop();
        _server?.Dispose();
        _manager?.Dispose();
        _pool?.Dispose();
        _stop.Dispose();
    }
}
