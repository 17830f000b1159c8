using System.Runtime.InteropServices;
using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// A condition variable shared by processes, Python's <c>multiprocessing.Condition</c>: waiters
/// release the lock while they sleep and hold it again when they return; <see cref="Notify"/> wakes
/// up to n of the processes waiting at that moment, <see cref="NotifyAll"/> wakes them all.
/// </summary>
/// <remarks>
/// A notify hands out exactly as many wake-up tokens as it wakes waiters, so a waiter that arrives
/// later cannot steal one, and Notify(1) releases one waiter. <see cref="Wait(TimeSpan)"/>,
/// <see cref="Notify"/> and <see cref="NotifyAll"/> require the calling thread to hold the lock.
/// </remarks>
public sealed unsafe class ProcessCondition : IProcessShareable<ProcessCondition>, IDisposable
{
    [StructLayout(LayoutKind.Sequential)]
    private struct State
    {
        public int Sequence;   // futex word: bumped by every notify
        public int Waiting;    // waiters not yet given a token
        public int Tokens;     // wake-ups handed out and not yet taken
    }

    private readonly SharedMemory _memory;
    private readonly IProcessLockCore _lock;
    private readonly ProcessLockBase _lockObject;
    private readonly bool _ownsLock;

    /// <summary>Creates a condition over a new <see cref="ProcessRLock"/> (Python's default).</summary>
    public ProcessCondition() : this(new ProcessRLock(), ownsLock: true) { }

    /// <summary>Creates a condition over <paramref name="lock"/>.</summary>
    public ProcessCondition(ProcessLock @lock) : this((object)@lock ?? throw new ArgumentNullException(nameof(@lock)), ownsLock: false) { }

    /// <summary>Creates a condition over <paramref name="lock"/>.</summary>
    public ProcessCondition(ProcessRLock @lock) : this((object)@lock ?? throw new ArgumentNullException(nameof(@lock)), ownsLock: false) { }

    private ProcessCondition(object @lock, bool ownsLock, SharedMemory? memory = null)
    {
        _lock = (IProcessLockCore)@lock;
        _lockObject = (ProcessLockBase)@lock;
        _ownsLock = ownsLock;
        _memory = memory ?? SharedMemory.Create("condition", sizeof(State));
    }

    /// <summary>The lock (a <see cref="ProcessLock"/> or <see cref="ProcessRLock"/>).</summary>
    public ProcessLockBase Lock => _lockObject;

    /// <summary>Takes the underlying lock (Python's <c>with cond:</c>).</summary>
    /// <exception cref="AbandonedProcessLockException">The lock's previous owner died holding it; release it through the exception's <see cref="AbandonedProcessLockException.Scope"/>.</exception>
    public ProcessLockScope Acquire() => _lockObject.Acquire();

    /// <summary>Takes the underlying lock, giving up when <paramref name="cancellationToken"/> fires.</summary>
    /// <exception cref="OperationCanceledException">The token fired first.</exception>
    public ProcessLockScope Acquire(CancellationToken cancellationToken) => _lockObject.Acquire(cancellationToken);

    /// <summary>Releases the underlying lock.</summary>
    public void Release() => _lock.Release();

    /// <summary>Waits for a notify, without limit (Python's <c>wait()</c>).</summary>
    public void Wait() => Wait(Timeout.InfiniteTimeSpan, CancellationToken.None);

    /// <summary>Waits for a notify or for <paramref name="cancellationToken"/>; the lock is held again either way.</summary>
    /// <exception cref="OperationCanceledException">The token fired first.</exception>
    public void Wait(CancellationToken cancellationToken) => Wait(Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Releases the lock, waits for a notify or the timeout, and takes the lock again.</summary>
    /// <returns><c>false</c> when the timeout passed without a notify.</returns>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public bool Wait(TimeSpan timeout) => Wait(timeout, CancellationToken.None);

    /// <summary>
    /// Releases the lock, waits for a notify, the timeout or <paramref name="cancellationToken"/>, and
    /// takes the lock again (also when it throws).
    /// </summary>
    /// <returns><c>false</c> when the timeout passed without a notify.</returns>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    /// <exception cref="OperationCanceledException">The token fired first.</exception>
    /// <exception cref="ObjectDisposedException">Disposed in this process (also while waiting).</exception>
    public bool Wait(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Deadline deadline = Deadline.From(timeout, cancellationToken);
        EnsureOwned("wait on");
        State* s = (State*)_memory.Enter();
        try
        {
            return Wait(s, deadline);
        }
        finally
        {
            _memory.Exit();
        }
    }

    private bool Wait(State* s, Deadline deadline)
    {
        Interlocked.Increment(ref s->Waiting);
        int saved = _lock.ReleaseForWait();
        bool notified = false;
        try
        {
            while (true)
            {
                int sequence = Volatile.Read(ref s->Sequence);
                int tokens = Volatile.Read(ref s->Tokens);
                if (tokens > 0)
                {
                    if (Interlocked.CompareExchange(ref s->Tokens, tokens - 1, tokens) == tokens)
                    {
                        notified = true;
                        break;
                    }
                    continue;
                }
                if (deadline.RemainingMs == 0)
                {
                    break;
                }
                Futex.Wait(&s->Sequence, sequence, deadline, _memory);
            }
        }
        finally
        {
            try
            {
                _lock.ReacquireAfterWait(saved);
            }
            finally
            {
                if (!notified)
                {
                    // Timed out: a notify may have counted this waiter meanwhile; its token stands for it.
                    notified = TakeToken(s);
                    if (!notified)
                    {
                        Interlocked.Decrement(ref s->Waiting);
                    }
                }
            }
        }
        return notified;
    }

    /// <summary>Waits until <paramref name="predicate"/> holds (Python's <c>wait_for</c>).</summary>
    /// <returns>The predicate's last value.</returns>
    public bool WaitFor(Func<bool> predicate, TimeSpan timeout) => WaitFor(predicate, timeout, CancellationToken.None);

    /// <summary>Waits until <paramref name="predicate"/> holds, the timeout passes or <paramref name="cancellationToken"/> fires.</summary>
    /// <returns>The predicate's last value.</returns>
    /// <exception cref="OperationCanceledException">The token fired first.</exception>
    public bool WaitFor(Func<bool> predicate, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        Deadline deadline = Deadline.From(timeout, cancellationToken);
        bool result = predicate();
        while (!result)
        {
            int left = deadline.RemainingMs;
            if (left == 0)
            {
                break;
            }
            Wait(left < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(left), cancellationToken);
            result = predicate();
        }
        return result;
    }

    /// <summary>Wakes up to <paramref name="count"/> waiters (Python's <c>notify(n)</c>).</summary>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public void Notify(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        EnsureOwned("notify");
        State* s = (State*)_memory.Enter();
        try
        {
            Wake(s, count);
        }
        finally
        {
            _memory.Exit();
        }
    }

    private static void Wake(State* s, int count)
    {
        // The lock is held, so Waiting only grows by timed-out waiters leaving: a CAS keeps the count exact.
        int woken;
        while (true)
        {
            int waiting = Volatile.Read(ref s->Waiting);
            woken = Math.Min(waiting, count);
            if (woken == 0 || Interlocked.CompareExchange(ref s->Waiting, waiting - woken, waiting) == waiting)
            {
                break;
            }
        }
        if (woken > 0)
        {
            Interlocked.Add(ref s->Tokens, woken);
            Interlocked.Increment(ref s->Sequence);
            Futex.Wake(&s->Sequence, woken);
        }
    }

    /// <summary>Wakes every waiter (Python's <c>notify_all()</c>).</summary>
    public void NotifyAll() => Notify(int.MaxValue);

    private static bool TakeToken(State* s)
    {
        while (true)
        {
            int tokens = Volatile.Read(ref s->Tokens);
            if (tokens == 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref s->Tokens, tokens - 1, tokens) == tokens)
            {
                return true;
            }
        }
    }

    private void EnsureOwned(string action)
    {
        if (!_lock.IsOwnedByCurrentThread)
        {
            throw new SynchronizationLockException($"cannot {action} the ProcessCondition without holding its lock: call Acquire() first (Python raises RuntimeError here)");
        }
    }

    /// <summary>Unmaps the condition in this process (and its lock when the condition created it).</summary>
    public void Dispose()
    {
        _memory.Dispose();
        if (_ownsLock)
        {
            _lockObject.Dispose();
        }
    }

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles)
    {
        writer.WriteArrayHeader(3);
        writer.Write(_lockObject is ProcessRLock);
        ((IProcessShareable)_lockObject).WriteShared(ref writer, handles);
        _memory.WriteShared(ref writer, handles);
    }

    static ProcessCondition IProcessShareable<ProcessCondition>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        if (reader.ReadArrayHeader() != 3)
        {
            throw new MessagePackSerializationException("a condition is three fields");
        }
        object @lock = reader.ReadBoolean()
            ? ReadLock<ProcessRLock>(ref reader, handles)
            : ReadLock<ProcessLock>(ref reader, handles);
        return new ProcessCondition(@lock, ownsLock: true, SharedMemory.ReadShared(ref reader, handles));
    }

    private static T ReadLock<T>(ref MessagePackReader reader, HandleTable handles) where T : IProcessShareable<T>
        => T.ReadShared(ref reader, handles);
}
