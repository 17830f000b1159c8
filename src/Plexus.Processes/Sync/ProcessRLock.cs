using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// A re-entrant lock shared by processes, Python's <c>multiprocessing.RLock</c>: the owning thread may
/// take it again and must release it as many times. Otherwise it behaves like <see cref="ProcessLock"/>
/// (non-owner release → <see cref="SynchronizationLockException"/>; a dead owner →
/// <see cref="AbandonedProcessLockException"/> to the next acquirer).
/// </summary>
public sealed unsafe class ProcessRLock : IProcessShareable<ProcessRLock>, IProcessLockCore, IDisposable
{
    private readonly SharedMemory _memory;

    /// <summary>Creates a free lock.</summary>
    public ProcessRLock() : this(SharedMemory.Create("rlock", sizeof(LockState))) { }

    private ProcessRLock(SharedMemory memory) => _memory = memory;

    private LockState* State => (LockState*)_memory.Pointer;

    /// <summary>Whether the calling thread holds the lock.</summary>
    public bool IsOwnedByCurrentThread => LockWord.IsOwnedByCurrentThread(State);

    /// <summary>How many times the calling thread holds it (0 when it does not).</summary>
    public int RecursionCount => IsOwnedByCurrentThread ? State->Count : 0;

    /// <summary>Blocks until the lock is taken (Python's <c>acquire()</c>); dispose the result to release once.</summary>
    /// <exception cref="AbandonedProcessLockException">The previous owner died holding it; the caller owns it now (depth 1).</exception>
    public ProcessLockScope Acquire()
    {
        TryAcquire(Timeout.InfiniteTimeSpan);
        return new ProcessLockScope(this);
    }

    /// <summary>Takes the lock if it is free now or already held by this thread.</summary>
    public bool TryAcquire() => TryAcquire(TimeSpan.Zero);

    /// <summary>Takes the lock within <paramref name="timeout"/>.</summary>
    /// <returns><c>false</c> when the timeout passed first.</returns>
    /// <exception cref="AbandonedProcessLockException">The previous owner died holding it; the caller owns it now (depth 1).</exception>
    public bool TryAcquire(TimeSpan timeout)
    {
        Deadline deadline = Deadline.From(timeout);
        LockState* state = State;
        if (LockWord.IsOwnedByCurrentThread(state))
        {
            state->Count++;
            return true;
        }
        if (!LockWord.Enter(state, deadline, out int abandonedBy))
        {
            return false;
        }
        state->OwnerTid = LockWord.Tid;
        state->Count = 1;
        return abandonedBy == 0 ? true : throw new AbandonedProcessLockException("ProcessRLock", abandonedBy);
    }

    /// <summary>Releases one level (Python's <c>release()</c>); the last one frees the lock.</summary>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public void Release()
    {
        LockState* state = State;
        if (!LockWord.IsOwnedByCurrentThread(state))
        {
            throw ProcessLock.NotOwner("ProcessRLock", LockWord.OwnerPid(state));
        }
        if (--state->Count == 0)
        {
            state->OwnerTid = 0;
            LockWord.Exit(state);
        }
    }

    int IProcessLockCore.ReleaseForWait()
    {
        LockState* state = State;
        if (!LockWord.IsOwnedByCurrentThread(state))
        {
            throw ProcessLock.NotOwner("ProcessRLock", LockWord.OwnerPid(state));
        }
        int depth = state->Count;
        state->Count = 0;
        state->OwnerTid = 0;
        LockWord.Exit(state);
        return depth;
    }

    void IProcessLockCore.ReacquireAfterWait(int saved)
    {
        try
        {
            TryAcquire(Timeout.InfiniteTimeSpan);
        }
        finally
        {
            if (IsOwnedByCurrentThread)
            {
                State->Count = saved;
            }
        }
    }

    /// <summary>Unmaps the lock in this process (other processes keep it).</summary>
    public void Dispose() => _memory.Dispose();

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles) => _memory.WriteShared(ref writer, handles);

    static ProcessRLock IProcessShareable<ProcessRLock>.ReadShared(ref MessagePackReader reader, HandleTable handles)
        => new(SharedMemory.ReadShared(ref reader, handles));
}
