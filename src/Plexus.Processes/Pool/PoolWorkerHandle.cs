using System.Buffers;
using System.Diagnostics;
using MessagePack;

namespace Plexus.Processes;

/// <summary>
/// The parent's handle on one pool worker: its process, its pipe, the jobs it holds (in the order
/// it will answer them), its <see cref="PoolWorkerState"/> and which thread reads its answers.
/// </summary>
/// <remarks>
/// <see cref="State"/>, <see cref="ReaderMode"/>, <see cref="InFlight"/> and the counters change
/// under the pool's lock. Invariants: a worker takes jobs only while Starting or Ready; a Stopping
/// worker holds none; a parked reader's worker is Ready, idle and alive (<see cref="NeedsReading"/> is false).
/// </remarks>
internal sealed class PoolWorkerHandle
{
    /// <summary>Jobs a worker holds at a time, so it never waits for work.</summary>
    public const int MaxInFlight = 3;

    /// <summary>Jobs a worker that keeps answering quickly (tiny tasks) may hold, so the pipe carries several per write.</summary>
    public const int MaxInFlightQuick = 32;

    /// <summary>Quick answers in a row that earn <see cref="MaxInFlightQuick"/>.</summary>
    public const int QuickStreak = 16;

    /// <summary>Bytes of jobs beyond which writing them may block (pipe buffers), so a reader thread hands the write off.</summary>
    public const int LargePayload = 32 * 1024;

    // An answer within 200 µs of its task's start (or of the previous answer) is quick.
    private static readonly long s_quickTicks = Stopwatch.Frequency / 5000;

    // Small jobs share a frame; a big one (a map chunk) goes alone, so the worker starts on it
    // while the next is still on its way.
    private const int BatchBytes = 64 * 1024;

    private readonly Lock _sendLock = new();
    private readonly HashSet<int> _registered = [];
    // Jobs given to this worker and not yet written, in order (locked by itself: filled under the
    // pool's lock, drained under the send lock).
    private readonly Queue<PoolJob> _outbox = new();
    private readonly List<PoolJob> _sending = [];
    private readonly TaskCompletionSource _readerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ArrayBufferWriter<byte> _frame = new(256);
    private long _outboxBytes;
    private bool _flushNow;
    private bool _reaped;
    // Quick answers in a row (capped at QuickStreak), and when the last answer came.
    private int _quick;
    private long _lastAnswer;

    /// <param name="child">The started worker process.</param>
    /// <param name="connection">The parent's end of its pipe.</param>
    /// <param name="read">The reader thread's loop (it owns the process: it reaps it).</param>
    public PoolWorkerHandle(ChildProcess child, Connection connection, Action<PoolWorkerHandle> read)
    {
        Child = child;
        Connection = connection;
        Pid = child.Pid;
        Reader = new Thread(() =>
        {
            try
            {
                read(this);
            }
            finally
            {
                _readerDone.TrySetResult();
            }
        }) { IsBackground = true, Name = $"plexus-pool-{child.Name}" };
    }

    public ChildProcess Child { get; }
    public Connection Connection { get; }
    public int Pid { get; }
    public Thread Reader { get; }

    /// <summary>Completes when the reader thread has reaped the worker and returned.</summary>
    public Task ReaderDone => _readerDone.Task;

    public PoolWorkerState State { get; private set; } = PoolWorkerState.Starting;

    public PoolReaderMode ReaderMode { get; set; } = PoolReaderMode.Thread;

    /// <summary>Jobs sent (or queued to be sent) and not answered yet, oldest first: the head is the running one.</summary>
    public Queue<PoolJob> InFlight { get; } = new();

    /// <summary>The payload bytes of <see cref="InFlight"/>.</summary>
    public long InFlightBytes { get; set; }

    /// <summary>Jobs given to this worker in its life (for maxTasksPerChild).</summary>
    public int Dispatched { get; set; }

    /// <summary>Wakes a parked reader thread.</summary>
    public SemaphoreSlim Wake { get; } = new(0);

    public long OutboxBytes => Volatile.Read(ref _outboxBytes);

    /// <summary>Whether the worker is up (starting or ready), as <see cref="ProcessPool.WorkerPids"/> reports.</summary>
    public bool IsUp => State is PoolWorkerState.Starting or PoolWorkerState.Ready;

    /// <summary>Moves to <paramref name="next"/>, which must be a transition <see cref="PoolWorkerState"/> allows.</summary>
    public void MoveTo(PoolWorkerState next)
    {
        Debug.Assert(IsAllowed(State, next), $"pool worker {Child.Name}: {State} → {next} is not a transition");
        Debug.Assert(next != PoolWorkerState.Stopping || InFlight.Count == 0, $"pool worker {Child.Name} was stopped with {InFlight.Count} jobs in flight");
        State = next;
    }

    private static bool IsAllowed(PoolWorkerState from, PoolWorkerState to) => (from, to) switch
    {
        (PoolWorkerState.Ended, _) => false,
        (_, PoolWorkerState.Ended) => true,
        (PoolWorkerState.Starting, PoolWorkerState.Ready or PoolWorkerState.InitializerFailed or PoolWorkerState.Stopping) => true,
        (PoolWorkerState.Ready, PoolWorkerState.Exited or PoolWorkerState.Stopping) => true,
        (PoolWorkerState.InitializerFailed or PoolWorkerState.Exited, PoolWorkerState.Stopping) => true,
        _ => false,
    };

    /// <summary>The process was seen to exit (or its pipe to fail): a ready worker's reader must read to the end.</summary>
    public void ProcessExited()
    {
        // In every other state the reader reads until the end anyway.
        if (State == PoolWorkerState.Ready)
        {
            MoveTo(PoolWorkerState.Exited);
        }
    }

    /// <summary>Whether someone must read this worker's pipe: it owes answers or is not simply ready and idle.</summary>
    public bool NeedsReading(bool terminated) => State != PoolWorkerState.Ready || InFlight.Count > 0 || terminated;

    /// <summary>Whether the worker may take another job now.</summary>
    // The deeper queue is for small tasks only: what a worker has not read yet must never fill its
    // pipe, or a reader writing to it while the worker writes answers back could wait forever.
    public bool HasRoom(int? maxTasks) => IsUp
        && (InFlight.Count < MaxInFlight || (_quick >= QuickStreak && InFlight.Count < MaxInFlightQuick && InFlightBytes < LargePayload))
        && (maxTasks is null || Dispatched < maxTasks);

    /// <summary>Counts an answer as quick when it came soon after its job was sent (or after the previous answer).</summary>
    public void RecordAnswer(long sentAt, long now)
    {
        _quick = now - Math.Max(_lastAnswer, sentAt) < s_quickTicks ? Math.Min(_quick + 1, QuickStreak) : 0;
        _lastAnswer = now;
    }

    /// <summary>Whether a job was queued while the worker owed few answers (it must be written now), and clears it.</summary>
    public bool TakeFlushNow()
    {
        lock (_outbox)
        {
            bool now = _flushNow;
            _flushNow = false;
            return now;
        }
    }

    public void Enqueue(PoolJob job, bool now)
    {
        lock (_outbox)
        {
            _flushNow |= now;
            _outbox.Enqueue(job);
            _outboxBytes += job.Payload.Length;
        }
    }

    /// <summary>Sends the queued jobs, as many per frame as fit in 64 KiB (a bigger job alone).</summary>
    public void Flush()
    {
        lock (_sendLock)
        {
            while (true)
            {
                _sending.Clear();
                lock (_outbox)
                {
                    long bytes = 0;
                    while (_outbox.TryPeek(out PoolJob? next) && (_sending.Count == 0 || bytes + next.Payload.Length <= BatchBytes))
                    {
                        _sending.Add(_outbox.Dequeue());
                        bytes += next.Payload.Length;
                    }
                    _outboxBytes -= bytes;
                }
                if (_sending.Count == 0)
                {
                    return;
                }
                _frame.ResetWrittenCount();
                var writer = new MessagePackWriter(_frame);
                writer.WriteArrayHeader(_sending.Count);
                foreach (PoolJob job in _sending)
                {
                    writer.Write(job.Id);
                    writer.Write(job.Target.Id);
                    writer.Write(job.Kind);
                    if (_registered.Add(job.Target.Id))
                    {
                        PoolWire.WriteTarget(ref writer, job.Target.Target);
                    }
                    else
                    {
                        writer.WriteNil();
                    }
                    writer.Write(job.Payload);
                }
                writer.Flush();
                _sending.Clear();
                try
                {
                    Connection.SendBytes(_frame.WrittenSpan);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    return; // the worker is gone; its reader thread sees the end and reassigns its jobs
                }
                finally
                {
                    if (_frame.Capacity > 1 << 20)
                    {
                        _frame = new ArrayBufferWriter<byte>(256); // a huge job's buffer is not kept
                    }
                }
            }
        }
    }

    public void Kill()
    {
        lock (_sendLock)
        {
            if (!_reaped)
            {
                // Until the reader thread has waited for it, the pid still names this worker (alive or a zombie).
                Plexus.Native.ProcessIds.Signal(Pid, Plexus.Native.ProcessIds.SigKill);
            }
        }
    }

    public void MarkReaped()
    {
        lock (_sendLock)
        {
            _reaped = true;
        }
    }

    public void SendStop()
    {
        lock (_sendLock)
        {
            try
            {
                Connection.SendBytes([0x90]); // an empty batch
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
            }
        }
    }
}
