using System.Runtime.ExceptionServices;
using Plexus.Processes.Hosting;

namespace Plexus.Processes;

// The workers' lives: start, replacement, death, and the start-up failures that break the pool.
public sealed partial class ProcessPool
{
    // Workers that failed before they were ready (their initializer threw, or they exited), with none
    // ready since; at StartFailureLimit the pool is broken: _brokenError makes the error its tasks
    // fail with (a new exception each, as each task's failure is thrown on its own).
    private int _startFailures;
    private Func<Exception>? _brokenError;

    /// <summary>Start failures in a row that break the pool: every worker failed about twice.</summary>
    private int StartFailureLimit => Math.Max(3, 2 * Processes);

    /// <summary>
    /// How many runtimes start at once. A runtime's start is CPU-bound (tens of ms of one core); started
    /// side by side with more than the cores can run, every one of them, the first included, is late. One
    /// core is left to this process (it builds the launches and will dispatch the first task meanwhile).
    /// </summary>
    private static int ColdStartsAtOnce => Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>
    /// How long the workers held back by <see cref="ColdStartsAtOnce"/> wait at most for a first one to
    /// report its start (one that dies before then must not hold them back for ever).
    /// </summary>
    private static readonly TimeSpan s_heldBackLimit = TimeSpan.FromSeconds(1);

    // Workers not started yet (under the lock): the first start report (OnStartReport; with an initializer,
    // the first host's connection) or s_heldBackLimit starts them, once (_heldBackClaimed). Meanwhile a
    // worker takes one task at a time, so that tasks queued early wait for them instead of queueing up on
    // the first worker.
    private int _heldBack;
    private int _heldBackClaimed;

    /// <summary>
    /// Hosts for the first workers: idle ones if the program keeps some, then new ones up to
    /// <see cref="ColdStartsAtOnce"/>; the pool starts the rest once one of those is up (<see cref="StartHeldBack"/>).
    /// </summary>
    private static HostSpawner.Host[] ReserveHosts(int count)
    {
        var hosts = new List<HostSpawner.Host>(count);
        try
        {
            int cold = 0;
            while (hosts.Count < count)
            {
                if (HostSpawner.TakeIdle() is { } idle)
                {
                    hosts.Add(idle);
                }
                else if (cold++ < ColdStartsAtOnce)
                {
                    hosts.Add(HostSpawner.Spawn());
                }
                else
                {
                    break;
                }
            }
        }
        catch
        {
            hosts.ForEach(HostSpawner.Dismiss);
            throw;
        }
        return [.. hosts];
    }

    /// <summary>
    /// Starts the held-back workers, one by one. Their hosts start and their launches are built outside
    /// the pool's lock: the first task's answer, which needs the lock, arrives meanwhile.
    /// </summary>
    private void StartHeldBack()
    {
        if (Interlocked.Exchange(ref _heldBackClaimed, 1) != 0)
        {
            return;
        }
        while (true)
        {
            lock (_lock)
            {
                if (_heldBack == 0)
                {
                    break;
                }
                if (_terminated || _brokenError is not null || JoinMayHaveEnded())
                {
                    _heldBack = 0;
                    break;
                }
            }
            PoolWorkerHandle worker;
            try
            {
                worker = StartWorker(HostSpawner.TakeIdle() ?? HostSpawner.Spawn());
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                bool broke;
                lock (_lock)
                {
                    _heldBack = 0;
                    broke = BreakOnStartError(e);
                }
                if (broke)
                {
                    FailPending();
                }
                return;
            }
            bool late;
            lock (_lock)
            {
                _heldBack--;
                late = _terminated || JoinMayHaveEnded();
                if (!late)
                {
                    _workers.Add(worker);
                }
            }
            if (late)
            {
                // Not a member: its reader reaps it and starts no replacement.
                worker.Kill();
                worker.Connection.Dispose();
            }
        }
        Pump();
    }

    /// <summary>Whether <see cref="Join(TimeSpan, CancellationToken)"/> may already have taken its list of workers to stop (call under the lock).</summary>
    private bool JoinMayHaveEnded() => _closed && _pending.Count == 0 && !_workers.Exists(w => w.InFlight.Count > 0);

    /// <summary>Starts the pool's first workers on their hosts, throwing the first start error (after terminating the rest).</summary>
    private void StartWorkers(HostSpawner.Host[] hosts)
    {
        // The hosts are starting already; what is left here (a pipe, the launch) is quick after the
        // first, so the workers are started one after another on this thread.
        Exception? failure = null;
        lock (_lock)
        {
            foreach (HostSpawner.Host host in hosts)
            {
                if (failure is not null)
                {
                    HostSpawner.Dismiss(host);
                    continue;
                }
                try
                {
                    _workers.Add(StartWorker(host));
                }
                catch (Exception e)
                {
                    failure = e;
                }
            }
        }
        if (failure is not null)
        {
            Terminate();
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>Starts a worker, on <paramref name="host"/> when one was started for it.</summary>
    private PoolWorkerHandle StartWorker(HostSpawner.Host? host = null)
    {
        (Connection parentEnd, Connection childEnd) = ProcessPipe.Create();
        string name = $"ProcessPoolWorker-{_poolId}.{Interlocked.Increment(ref _workerCounter)}";
        ChildProcess child;
        try
        {
            child = ChildProcess.Create(PoolWorkerLoop.Run, childEnd, _setup);
            child.Name = name;
            child.IsDaemon = true;
            child.StartOn(host);
        }
        catch
        {
            parentEnd.Dispose();
            childEnd.Dispose();
            throw;
        }
        var worker = new PoolWorkerHandle(child, parentEnd, RunReader);
        worker.Reader.UnsafeStart();
        _ = WatchExit(worker);
        return worker;
    }

    /// <summary>
    /// Starts a worker in place of one that ended or retired (call under the lock). One that cannot
    /// start breaks the pool: the error must not escape a reader thread (it would end the program)
    /// nor fail the task whose answer led here.
    /// </summary>
    /// <returns>Whether the pool broke now.</returns>
    private bool StartReplacement()
    {
        try
        {
            _workers.Add(StartWorker());
            return false;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return BreakOnStartError(e);
        }
    }

    /// <summary>Breaks the pool because a worker could not be started (call under the lock).</summary>
    /// <returns>Whether the pool broke now.</returns>
    private bool BreakOnStartError(Exception e)
    {
        if (_brokenError is not null)
        {
            return false;
        }
        _brokenError = () => new InvalidOperationException($"the pool is broken: it could not start a worker ({e.Message}); start a new pool", e);
        return true;
    }

    /// <summary>Counts a worker that failed before it was ready (call under the lock).</summary>
    /// <param name="error">The error the pool's tasks fail with if it breaks now, given the count of failures.</param>
    /// <returns>Whether the pool broke now.</returns>
    private bool CountStartFailure(Func<int, Exception> error)
    {
        int failures = ++_startFailures;
        if (failures < StartFailureLimit || _brokenError is not null)
        {
            return false;
        }
        _brokenError = () => error(failures);
        return true;
    }

    /// <summary>
    /// An idle worker's reader thread is parked, so the exit of its process wakes it to see the
    /// end; a worker that dies before it took its pipe end leaves the reader without EOF, so once
    /// the process is gone and answers it sent had time to be read, closing our end ends the reader.
    /// </summary>
    private async Task WatchExit(PoolWorkerHandle worker)
    {
        try
        {
            await worker.Child.JoinAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // Already reaped by the reader thread.
        }
        lock (_lock)
        {
            if (worker.State != PoolWorkerState.Ended)
            {
                worker.ProcessExited();
                WakeReader(worker);
            }
        }
        if (!worker.Reader.Join(0))
        {
            await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            worker.Connection.Dispose();
        }
    }

    /// <summary>
    /// A worker's pipe ended: reap it, fail the task it was running (if it ran any), requeue the
    /// rest, and replace it unless it was meant to stop or the pool is over.
    /// </summary>
    private void WorkerEnded(PoolWorkerHandle worker)
    {
        worker.Child.Join();
        int? exitCode = worker.Child.ExitCode;
        worker.MarkReaped();
        PoolJob? running = null;
        bool broken, unexpected = false;
        lock (_lock)
        {
            PoolWorkerState was = worker.State;
            worker.MoveTo(PoolWorkerState.Ended);
            bool member = _workers.Remove(worker);
            // Answers come in order, so the oldest unanswered task was running, once the worker was
            // ready; before that (starting, or its initializer failed) it ran none. The rest never started.
            if (was is PoolWorkerState.Ready or PoolWorkerState.Exited or PoolWorkerState.Stopping)
            {
                worker.InFlight.TryDequeue(out running);
            }
            PoolJob[] notStarted = [.. worker.InFlight];
            worker.InFlight.Clear();
            worker.InFlightBytes = 0;
            for (int i = notStarted.Length - 1; i >= 0; i--)
            {
                _pending.AddFirst(notStarted[i].Node);
            }
            if (member && !_terminated && was != PoolWorkerState.Stopping)
            {
                unexpected = true;
                if (was == PoolWorkerState.Starting)
                {
                    string name = worker.Child.Name;
                    int pid = worker.Pid;
                    CountStartFailure(failures => new InvalidOperationException(
                        $"the pool is broken: {failures} workers in a row ended before they were ready (last: {name}, pid {pid}, " +
                        $"{ProcessPoolWorkerDiedException.Describe(exitCode)}); check the pool's initializer, which runs at each worker's start, and start a new pool"));
                }
                if (_brokenError is null)
                {
                    StartReplacement();
                }
            }
            broken = _brokenError is not null;
            Monitor.PulseAll(_lock);
        }
        worker.Connection.Dispose();
        if (unexpected)
        {
            PlexusLog.WorkerDied(PlexusLogging.For<ProcessPool>(), worker.Child.Name, worker.Pid, ProcessPoolWorkerDiedException.Describe(exitCode),
                running is null ? "it ran no task; a new worker replaces it" : "its task fails with ProcessPoolWorkerDiedException; a new worker replaces it");
        }
        running?.Fail(new ProcessPoolWorkerDiedException(worker.Child.Name, worker.Pid, exitCode));
        if (broken)
        {
            FailPending();
        }
        worker.Child.Dispose();
        Pump();
    }

    /// <summary>Fails every queued task with the reason the pool is broken.</summary>
    private void FailPending()
    {
        PoolJob[] jobs;
        Func<Exception> error;
        lock (_lock)
        {
            error = _brokenError!;
            jobs = [.. _pending];
            _pending.Clear();
            Monitor.PulseAll(_lock);
        }
        foreach (PoolJob job in jobs)
        {
            job.Fail(error());
        }
    }
}
