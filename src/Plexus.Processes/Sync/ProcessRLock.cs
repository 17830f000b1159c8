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
public sealed unsafe class ProcessRLock : ProcessLockBase, IProcessShareable<ProcessRLock>, IProcessLockCore
{
    /// <summary>Creates a free lock.</summary>
    public ProcessRLock() : this(SharedMemory.Create("rlock", sizeof(LockState))) { }

    private ProcessRLock(SharedMemory memory) : base(memory) { }

    /// <summary>Whether the calling thread holds the lock.</summary>
    public bool IsOwnedByCurrentThread => RecursionCount > 0;

    /// <summary>How many times the calling thread holds it (0 when it does not).</summary>
    public int RecursionCount
    {
        get
        {
            LockState* state = (LockState*)_memory.Enter();
            try
            {
                return LockWord.IsOwnedByCurrentThread(state) ? state->Count : 0;
            }
            finally
            {
                _memory.Exit();
            }
        }
    }

    /// <remarks>A thread that holds the lock takes it again at once; a dead owner's lock comes with depth 1.</remarks>
    private protected override bool TryAcquireCore(byte* memory, Deadline deadline)
    {
        LockState* state = (LockState*)memory;
        if (LockWord.IsOwnedByCurrentThread(state))
        {
            state->Count++;
            return true;
        }
        if (!LockWord.Enter(state, deadline, _memory, out int abandonedBy))
        {
            return false;
        }
        state->OwnerTid = LockWord.Tid;
        state->Count = 1;
        return abandonedBy == 0 ? true : throw new AbandonedProcessLockException("ProcessRLock", abandonedBy, new ProcessLockScope(this));
    }

    /// <summary>Releases one level (Python's <c>release()</c>); the last one frees the lock.</summary>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public void Release()
    {
        LockState* state = (LockState*)_memory.Enter();
        try
        {
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
        finally
        {
            _memory.Exit();
        }
    }

    private protected override void ReleaseOne() => Release();

    int IProcessLockCore.ReleaseForWait()
    {
        LockState* state = (LockState*)_memory.Enter();
        try
        {
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
        finally
        {
            _memory.Exit();
        }
    }

    void IProcessLockCore.ReacquireAfterWait(int saved)
    {
        LockState* state = (LockState*)_memory.Enter();
        try
        {
            TryAcquireCore((byte*)state, Deadline.Infinite);
        }
        finally
        {
            if (LockWord.IsOwnedByCurrentThread(state))
            {
                state->Count = saved;
            }
            _memory.Exit();
        }
    }

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles) => _memory.WriteShared(ref writer, handles);

    static ProcessRLock IProcessShareable<ProcessRLock>.ReadShared(ref MessagePackReader reader, HandleTable handles)
        => new(SharedMemory.ReadShared(ref reader, handles));
}
