using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// A re-entrant lock shared by processes, Python's <c>multiprocessing.RLock</c>: the owning thread may
/// take it again and must release it as many times. Otherwise it behaves like <see cref="ProcessLock"/>
/// (non-owner release → <see cref="SynchronizationLockException"/>; a dead owner →
/// <see cref="AbandonedProcessLockException"/> to the next acquirer, which releases through its
/// <see cref="AbandonedProcessLockException.Scope"/>).
/// </summary>
public sealed unsafe class ProcessRLock : ProcessLockBase, IProcessShareable<ProcessRLock>, IProcessLockCore
{
    /// <summary>Creates a free lock.</summary>
    public ProcessRLock() : this(SharedMemory.Create("rlock", sizeof(LockState))) { }

    private ProcessRLock(SharedMemory memory) : base(memory) { }

    /// <summary>The thread of this process that holds the lock through this object, or 0; it holds one reference on the memory until its last release.</summary>
    private int _ownerTid;

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
    private protected override bool TryAcquireCore(Deadline deadline)
    {
        LockState* state = (LockState*)_memory.Enter();
        bool firstHold = false;
        try
        {
            if (LockWord.IsOwnedByCurrentThread(state))
            {
                state->Count++;
                return true;
            }
            if (!LockWord.Enter(state, deadline, _memory, out int abandonedBy))
            {
                return false;
            }
            firstHold = true;
            state->OwnerTid = _ownerTid = LockWord.Tid;
            state->Count = 1;
            if (abandonedBy != 0)
            {
                PlexusLog.ProcessLockAbandoned(PlexusLogging.For<ProcessRLock>(), "ProcessRLock", abandonedBy);
            }
            return abandonedBy == 0 ? true : throw new AbandonedProcessLockException("ProcessRLock", abandonedBy, new ProcessLockScope(this));
        }
        finally
        {
            if (!firstHold)
            {
                _memory.Exit();
            }
        }
    }

    /// <summary>Releases one level (Python's <c>release()</c>); the last one frees the lock.</summary>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public void Release()
    {
        LockState* state = Held("ProcessRLock");
        if (--state->Count == 0)
        {
            ReleaseWord(state);
        }
    }

    private protected override void ReleaseOne() => Release();

    int IProcessLockCore.ReleaseForWait()
    {
        LockState* state = Held("ProcessRLock");
        int depth = state->Count;
        state->Count = 0;
        ReleaseWord(state);
        return depth;
    }

    void IProcessLockCore.ReacquireAfterWait(int saved)
    {
        try
        {
            TryAcquireCore(Deadline.Infinite);
        }
        finally
        {
            if (_ownerTid == LockWord.Tid)
            {
                ((LockState*)_memory.HeldPointer)->Count = saved;
            }
        }
    }

    /// <summary>The lock's state, once it is clear the calling thread holds it through this object (and so holds a reference on the memory).</summary>
    private LockState* Held(string what)
    {
        if (_ownerTid != LockWord.Tid)
        {
            LockState* state = (LockState*)_memory.Enter();
            try
            {
                throw ProcessLock.NotOwner(what, LockWord.OwnerPid(state));
            }
            finally
            {
                _memory.Exit();
            }
        }
        return (LockState*)_memory.HeldPointer;
    }

    private void ReleaseWord(LockState* state)
    {
        _ownerTid = 0;
        state->OwnerTid = 0;
        LockWord.Exit(state);
        _memory.Exit();
    }

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles) => _memory.WriteShared(ref writer, handles);

    static ProcessRLock IProcessShareable<ProcessRLock>.ReadShared(ref MessagePackReader reader, HandleTable handles)
        => new(SharedMemory.ReadShared(ref reader, handles));
}
