namespace Plexus.Processes;

// Handing jobs to workers: the queue, the choice of worker, and the writes to its pipe.
public sealed partial class ProcessPool
{
    /// <summary>
    /// Queues one task. With <paramref name="inline"/> (a blocking apply) the calling thread, when its
    /// task went straight to an idle worker, reads that worker's answers itself: no thread hop.
    /// </summary>
    private PoolSingleJob<TResult> Submit<TResult>(PoolSingleJob<TResult> job, CancellationToken cancellationToken, bool inline = false)
    {
        PoolWorkerHandle? reader = Enqueue([job], cancellationToken, inline ? job : null);
        if (reader is not null)
        {
            ReadInline(reader, job);
        }
        return job;
    }

    /// <summary>Queues jobs and hands them to workers; in a broken pool they fail at once instead.</summary>
    /// <returns>The worker whose answers the caller is to read itself (see <see cref="Submit"/>), or <c>null</c>.</returns>
    private PoolWorkerHandle? Enqueue(List<PoolJob> jobs, CancellationToken cancellationToken, PoolJob? inline = null)
    {
        if (jobs.Count == 0)
        {
            return null;
        }
        Func<Exception>? broken;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_terminated, this);
            if (_closed)
            {
                throw new InvalidOperationException("the pool is closed; no new tasks can be submitted (Python raises ValueError here)");
            }
            broken = _brokenError;
            if (broken is null)
            {
                foreach (PoolJob job in jobs)
                {
                    _pending.AddLast(job.Node);
                }
            }
        }
        if (broken is not null)
        {
            foreach (PoolJob job in jobs)
            {
                job.Fail(broken());
            }
            return null;
        }
        if (cancellationToken.CanBeCanceled)
        {
            foreach (PoolJob job in jobs)
            {
                job.Registration = cancellationToken.UnsafeRegister(static (state, token) =>
                {
                    var (pool, job) = ((ProcessPool, PoolJob))state!;
                    pool.Cancel(job, token);
                }, (this, job));
            }
        }
        return Pump(inline);
    }

    private void Cancel(PoolJob job, CancellationToken token)
    {
        lock (_lock)
        {
            if (job.Node.List is null)
            {
                return; // already sent to a worker (or finished): running work is not interrupted
            }
            _pending.Remove(job.Node);
        }
        job.Cancel(token);
        PulseWaiters();
    }

    /// <summary>
    /// Hands queued jobs to workers with room, keeping each worker's pipe order equal to its
    /// in-flight order, and sends them (several jobs for one worker leave in one frame).
    /// </summary>
    /// <returns>The worker whose answers the caller is to read itself (see <see cref="Submit"/>), or <c>null</c>.</returns>
    private PoolWorkerHandle? Pump(PoolJob? inline = null)
    {
        PoolWorkerHandle? single = null;
        List<PoolWorkerHandle>? touched = null;
        PoolWorkerHandle? reader = null;
        lock (_lock)
        {
            if (_terminated || _pending.First is null)
            {
                return null;
            }
            // The least-loaded worker gets each job, so idle workers are used before any worker gets a
            // second job. Ties go to the same worker each time: one-at-a-time work (apply) keeps one warm
            // worker busy instead of waking each in turn (on a small machine that is much faster).
            // While no worker is ready, the oldest task waits for the first one that is (whichever runtime
            // wins the race), instead of being queued on a worker still starting; later ones spread as usual.
            // One worker has no race to win: holding would only let the second task run before the first.
            bool holdOldest = _workers.Count > 1 && !_workers.Exists(w => w.State == PoolWorkerState.Ready);
            LinkedListNode<PoolJob>? next = _pending.First;
            while (next is { } node)
            {
                next = node.Next;
                if (holdOldest && node == _pending.First)
                {
                    continue;
                }
                PoolWorkerHandle? worker = null;
                foreach (PoolWorkerHandle candidate in _workers)
                {
                    // Among equally loaded workers, one that is up already goes first.
                    if (candidate.HasRoom(_maxTasksPerChild) && (_heldBack == 0 || candidate.InFlight.Count == 0) && (worker is null || candidate.InFlight.Count < worker.InFlight.Count
                        || (candidate.InFlight.Count == worker.InFlight.Count && candidate.State == PoolWorkerState.Ready && worker.State != PoolWorkerState.Ready)))
                    {
                        worker = candidate;
                    }
                }
                if (worker is null)
                {
                    break;
                }
                _pending.Remove(node);
                PoolJob job = node.Value;
                job.SentAt = System.Diagnostics.Stopwatch.GetTimestamp();
                // A worker that still owes several answers needs no write now: its reader sends what
                // queued up when the next answer comes, many jobs to a write.
                bool now = worker.InFlight.Count < PoolWorkerHandle.MaxInFlight;
                worker.InFlight.Enqueue(job);
                worker.InFlightBytes += job.Payload.Length;
                worker.Dispatched++;
                worker.Enqueue(job, now);
                if (single is null || single == worker)
                {
                    single = worker;
                }
                else if (touched is null)
                {
                    touched = [single, worker];
                }
                else if (!touched.Contains(worker))
                {
                    touched.Add(worker);
                }
                if (job == inline && worker.ReaderMode == PoolReaderMode.Parked && worker.OutboxBytes <= PoolWorkerHandle.LargePayload)
                {
                    worker.ReaderMode = PoolReaderMode.Caller;
                    reader = worker;
                }
            }
            if (single is null)
            {
                return null;
            }
            foreach (PoolWorkerHandle worker in touched ?? [single])
            {
                WakeReader(worker);
            }
        }
        List<PoolWorkerHandle> flush = touched ?? [single];
        for (int i = 0; i < flush.Count; i++)
        {
            PoolWorkerHandle worker = flush[i];
            if (!t_onReaderThread && !worker.TakeFlushNow())
            {
                continue;
            }
            // One worker's big chunks must not hold back the next worker's: all but the last go in parallel.
            Flush(worker, mayBlock: !t_onReaderThread && i == flush.Count - 1);
        }
        return reader;
    }

    /// <summary>
    /// Sends a worker's queued jobs; a big write, which may block until the worker reads, goes to a
    /// pool thread unless <paramref name="mayBlock"/>. A reader thread must never block so: its own
    /// worker may be waiting for it to read.
    /// </summary>
    private static void Flush(PoolWorkerHandle worker, bool mayBlock)
    {
        if (worker.OutboxBytes > PoolWorkerHandle.LargePayload && !mayBlock)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static w => w.Flush(), worker, preferLocal: false);
        }
        else
        {
            worker.Flush();
        }
    }

    /// <summary>Makes a parked reader thread read again if its worker needs reading (call under the lock).</summary>
    private void WakeReader(PoolWorkerHandle worker)
    {
        if (worker.ReaderMode == PoolReaderMode.Parked && worker.NeedsReading(_terminated))
        {
            worker.ReaderMode = PoolReaderMode.Thread;
            worker.Wake.Release();
        }
    }
}
