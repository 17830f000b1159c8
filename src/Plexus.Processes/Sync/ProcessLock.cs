using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// A lock shared by processes, Python's <c>multiprocessing.Lock</c>. Pass it to children as a
/// <see cref="ChildProcess"/> start argument. It is owned by one thread of one process: a release from
/// anywhere else is a <see cref="SynchronizationLockException"/>, and taking it twice from the same
/// thread is a <see cref="LockRecursionException"/> (use <see cref="ProcessRLock"/> for that). If the
/// owner process dies holding it, the next acquirer gets it with an
/// <see cref="AbandonedProcessLockException"/> (within about 100 ms of the death).
/// </summary>
/// <remarks>
/// The lock is a 32-bit word in shared memory holding the owner's pid. Taking a free lock is one
/// atomic compare-and-swap; waiters spin briefly and then sleep on a futex. Ownership is per thread,
/// so do not hold it across an <c>await</c> that may resume on another thread.
/// </remarks>
public sealed unsafe class ProcessLock : IProcessShareable<ProcessLock>, IProcessLockCore, IDisposable
{
    private readonly SharedMemory _memory;

    /// <summary>Creates a free lock.</summary>
    public ProcessLock() : this(SharedMemory.Create("lock", sizeof(LockState))) { }

    private ProcessLock(SharedMemory memory) => _memory = memory;

    private LockState* State => (LockState*)_memory.Pointer;

    /// <summary>Whether some thread of some process holds the lock now (a snapshot).</summary>
    public bool IsLocked => LockWord.OwnerPid(State) != 0;

    /// <summary>Whether the calling thread holds the lock.</summary>
    public bool IsOwnedByCurrentThread => LockWord.IsOwnedByCurrentThread(State);

    /// <summary>Blocks until the lock is taken (Python's <c>acquire()</c>); dispose the result to release.</summary>
    /// <exception cref="AbandonedProcessLockException">The previous owner died holding it; the caller owns it now.</exception>
    public ProcessLockScope Acquire()
    {
        TryAcquire(Timeout.InfiniteTimeSpan);
        return new ProcessLockScope(this);
    }

    /// <summary>Takes the lock if it is free now (Python's <c>acquire(False)</c>).</summary>
    public bool TryAcquire() => TryAcquire(TimeSpan.Zero);

    /// <summary>Takes the lock within <paramref name="timeout"/> (Python's <c>acquire(timeout=...)</c>).</summary>
    /// <returns><c>false</c> when the timeout passed first.</returns>
    /// <exception cref="AbandonedProcessLockException">The previous owner died holding it; the caller owns it now.</exception>
    public bool TryAcquire(TimeSpan timeout)
    {
        Deadline deadline = Deadline.From(timeout);
        LockState* state = State;
        if (LockWord.TryEnterNow(state))
        {
            state->OwnerTid = LockWord.Tid;
            return true;
        }
        if (LockWord.IsOwnedByCurrentThread(state))
        {
            throw new LockRecursionException("this thread already holds the ProcessLock; a second acquire would deadlock. Use ProcessRLock for a lock the same thread can take again");
        }
        if (!LockWord.Enter(state, deadline, out int abandonedBy))
        {
            return false;
        }
        state->OwnerTid = LockWord.Tid;
        return abandonedBy == 0 ? true : throw new AbandonedProcessLockException("ProcessLock", abandonedBy);
    }

    /// <summary>Releases the lock (Python's <c>release()</c>).</summary>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public void Release()
    {
        LockState* state = State;
        if (!LockWord.IsOwnedByCurrentThread(state))
        {
            throw NotOwner("ProcessLock", LockWord.OwnerPid(state));
        }
        state->OwnerTid = 0;
        LockWord.Exit(state);
    }

    internal static SynchronizationLockException NotOwner(string what, int owner) => new(owner == 0
        ? $"cannot release the {what}: it is not held. Release only after a successful Acquire/TryAcquire"
        : owner == LockWord.Pid
            ? $"cannot release the {what}: another thread of this process holds it; only the thread that acquired it may release it"
            : $"cannot release the {what}: process {owner} holds it, not this one; only the owner may release it");

    int IProcessLockCore.ReleaseForWait()
    {
        Release();
        return 1;
    }

    void IProcessLockCore.ReacquireAfterWait(int saved) => TryAcquire(Timeout.InfiniteTimeSpan);

    /// <summary>Unmaps the lock in this process (other processes keep it). Do not dispose while held.</summary>
    public void Dispose() => _memory.Dispose();

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles) => _memory.WriteShared(ref writer, handles);

    static ProcessLock IProcessShareable<ProcessLock>.ReadShared(ref MessagePackReader reader, HandleTable handles)
        => new(SharedMemory.ReadShared(ref reader, handles));
}
