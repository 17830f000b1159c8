using System.Diagnostics;
using System.Runtime.CompilerServices;
using MessagePack;

namespace Plexus.Processes;

// Reading workers' answers: each worker's reader thread, a blocking apply reading inline, and what an answer does.
public sealed partial class ProcessPool
{
    /// <summary>A worker's reader thread: reads while the worker needs reading, parks while it is ready and idle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunReader(PoolWorkerHandle worker)
    {
        t_onReaderThread = true;
        int deferred = 0;
        while (true)
        {
            bool read;
            lock (_lock)
            {
                if (worker.ReaderMode != PoolReaderMode.Caller)
                {
                    worker.ReaderMode = worker.NeedsReading(_terminated) ? PoolReaderMode.Thread : PoolReaderMode.Parked;
                }
                read = worker.ReaderMode == PoolReaderMode.Thread;
            }
            if (!read)
            {
                worker.Wake.Wait();
                continue;
            }
            PoolResponse response;
            try
            {
                response = worker.Connection.Receive(PoolResponseFormatter.Instance);
            }
            catch (Exception e) when (IsEnd(e))
            {
                WorkerEnded(worker);
                return;
            }
            // While more answers are already here, new jobs wait for them (up to a bound), so that
            // they leave together in one frame.
            bool more = ++deferred < PoolWorkerHandle.QuickStreak && _pending.Count > 0 && MoreToRead(worker);
            OnResponse(worker, response, pump: !more);
            if (!more)
            {
                deferred = 0;
            }
        }
    }

    private static bool MoreToRead(PoolWorkerHandle worker)
    {
        try
        {
            return worker.Connection.Poll(TimeSpan.Zero);
        }
        catch (Exception e) when (IsEnd(e))
        {
            return false; // the next receive sees the end
        }
    }

    private static bool IsEnd(Exception e) => e is EndOfStreamException or IOException or ObjectDisposedException or InvalidDataException
        or System.Net.Sockets.SocketException or MessagePackSerializationException;

    /// <summary>The calling thread reads its worker's answers until its own job is done, then hands reading back.</summary>
    private void ReadInline(PoolWorkerHandle worker, PoolJob job)
    {
        bool wasReader = t_onReaderThread;
        t_onReaderThread = true;
        try
        {
            while (!job.IsDone)
            {
                PoolResponse response;
                try
                {
                    response = worker.Connection.Receive(PoolResponseFormatter.Instance);
                }
                catch (Exception e) when (IsEnd(e))
                {
                    // The reader thread sees the end again, and reassigns or fails the worker's jobs.
                    lock (_lock)
                    {
                        worker.ProcessExited();
                    }
                    break;
                }
                OnResponse(worker, response);
            }
        }
        finally
        {
            t_onReaderThread = wasReader;
            lock (_lock)
            {
                Debug.Assert(worker.ReaderMode == PoolReaderMode.Caller);
                worker.ReaderMode = PoolReaderMode.Parked;
                WakeReader(worker);
            }
        }
    }

    private void OnResponse(PoolWorkerHandle worker, PoolResponse response, bool pump = true)
    {
        if (response.Status is PoolWire.Ready or PoolWire.InitializerFailed)
        {
            OnStartReport(worker, response);
            return;
        }
        PoolJob? job;
        bool retire = false;
        bool broke = false;
        lock (_lock)
        {
            job = worker.InFlight.TryPeek(out PoolJob? head) && head.Id == response.Id ? worker.InFlight.Dequeue() : null;
            worker.InFlightBytes -= job?.Payload.Length ?? 0;
            long now = Stopwatch.GetTimestamp();
            worker.RecordAnswer(job?.SentAt ?? now, now);
            if (worker.InFlight.Count == 0 && _maxTasksPerChild is { } max && worker.Dispatched >= max
                && worker.State == PoolWorkerState.Ready && !_terminated)
            {
                worker.MoveTo(PoolWorkerState.Stopping);
                retire = true;
                _workers.Remove(worker);
                broke = StartReplacement();
            }
            Monitor.PulseAll(_lock);
        }
        if (retire)
        {
            worker.SendStop();
        }
        if (broke)
        {
            FailPending();
        }
        // The next job leaves before this one's results are read: the worker is not kept waiting.
        if (pump)
        {
            Pump();
            if (worker.OutboxBytes > 0)
            {
                Flush(worker, mayBlock: false);
            }
        }
        if (job is not null)
        {
            if (response.Status == PoolWire.Error)
            {
                job.Fail(new ChildProcessException(response.ErrorType ?? "", response.ErrorMessage ?? "", response.ErrorStack ?? "", worker.Pid, worker.Child.Name));
            }
            else
            {
                job.Complete(response.Payload, response.Status == PoolWire.RawResults);
            }
        }
    }

    /// <summary>
    /// A worker says whether its initializer ran. One that failed runs none of the jobs it holds
    /// (they go back to the queue when its pipe ends); too many failures in a row break the pool.
    /// </summary>
    private void OnStartReport(PoolWorkerHandle worker, PoolResponse response)
    {
        bool broke = false;
        lock (_lock)
        {
            if (worker.State != PoolWorkerState.Starting)
            {
                // Join stopped it meanwhile: nothing is waiting for it.
            }
            else if (response.Status == PoolWire.Ready)
            {
                worker.MoveTo(PoolWorkerState.Ready);
                _startFailures = 0;
            }
            else
            {
                worker.MoveTo(PoolWorkerState.InitializerFailed);
                string initializer = _initializerName, name = worker.Child.Name;
                string type = response.ErrorType ?? "", message = response.ErrorMessage ?? "", stack = response.ErrorStack ?? "";
                int pid = worker.Pid;
                broke = CountStartFailure(failures => new ProcessPoolInitializerException(initializer, type, message, stack, name, pid, failures));
            }
        }
        if (broke)
        {
            FailPending();
        }
        Pump();
        if (Volatile.Read(ref _heldBack) > 0 && Volatile.Read(ref _heldBackClaimed) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static pool => pool.StartHeldBack(), this, preferLocal: false);
        }
    }
}
