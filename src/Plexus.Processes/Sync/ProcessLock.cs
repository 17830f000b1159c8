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
/// <see cref="AbandonedProcessLockException"/> (within about 100 ms of the death) while owning it, and
/// releases it through the exception's <see cref="AbandonedProcessLockException.Scope"/> (see <see cref="ProcessLockBase"/>).
/// </summary>
/// <remarks>
/// The lock is a 32-bit word in shared memory holding the owner's pid. Taking a free lock is one
/// atomic compare-and-swap; waiters spin briefly and then sleep on a futex. Ownership is per thread,
/// so do not hold it across an <c>await</c> that may resume on another thread.
/// </remarks>
public sealed unsafe class ProcessLock : ProcessLockBase, IProcessShareable<ProcessLock>, IProcessLockCore
{
    /// <summary>Creates a free lock.</summary>
    public ProcessLock() : this(SharedMemory.Create("lock", sizeof(LockState))) { }

    private ProcessLock(SharedMemory memory) : base(memory) { }

    /// <summary>
    /// The thread of this process that took the lock through this object, or 0. That thread holds one
    /// reference on the memory until it releases, so a dispose meanwhile leaves the lock word mapped
    /// for the release (which other processes wait for).
    /// </summary>
    private int _ownerTid;

    /// <summary>Whether some thread of some process holds the lock now (a snapshot).</summary>
    public bool IsLocked
    {
        get
        {
            LockState* state = (LockState*)_memory.Enter();
            try
            {
                return LockWord.OwnerPid(state) != 0;
            }
            finally
            {
                _memory.Exit();
            }
        }
    }

    /// <summary>Whether the calling thread holds the lock.</summary>
    public bool IsOwnedByCurrentThread
    {
        get
        {
            LockState* state = (LockState*)_memory.Enter();
            try
            {
                return LockWord.IsOwnedByCurrentThread(state);
            }
            finally
            {
                _memory.Exit();
            }
        }
    }

    private protected override bool TryAcquireCore(Deadline deadline)
    {
        LockState* state = (LockState*)_memory.Enter();
        bool owned = false;
        try
        {
            int abandonedBy = 0;
            if (!LockWord.TryEnterNow(state))
            {
                if (LockWord.IsOwnedByCurrentThread(state))
                {
                    throw new LockRecursionException("this thread already holds the ProcessLock; a second acquire would deadlock. Use ProcessRLock for a lock the same thread can take again");
                }
                if (!LockWord.Enter(state, deadline, _memory, out abandonedBy))
                {
                    return false;
                }
            }
            owned = true;
            state->OwnerTid = _ownerTid = LockWord.Tid;
            if (abandonedBy != 0)
            {
                PlexusLog.ProcessLockAbandoned(PlexusLogging.For<ProcessLock>(), "ProcessLock", abandonedBy);
            }
            return abandonedBy == 0 ? true : throw new AbandonedProcessLockException("ProcessLock", abandonedBy, new ProcessLockScope(this));
        }
        finally
        {
            if (!owned)
            {
                _memory.Exit();
            }
        }
    }

    /// <summary>Releases the lock (Python's <c>release()</c>).</summary>
    /// <exception cref="SynchronizationLockException">The calling thread does not hold the lock.</exception>
    public void Release()
    {
        if (_ownerTid != LockWord.Tid)
        {
            ReleaseNotTakenHere();
            return;
        }
        // The owning thread holds the reference its acquire took, so the memory is mapped.
        LockState* state = (LockState*)_memory.HeldPointer;
        _ownerTid = 0;
        state->OwnerTid = 0;
        LockWord.Exit(state);
        _memory.Exit();
    }

    /// <summary>A release by a thread that did not acquire through this object: an error, unless another object of this process mapping the same lock took it on this thread.</summary>
    private void ReleaseNotTakenHere()
    {
        LockState* state = (LockState*)_memory.Enter();
        try
        {
            if (!LockWord.IsOwnedByCurrentThread(state))
            {
                throw NotOwner("ProcessLock", LockWord.OwnerPid(state));
            }
            state->OwnerTid = 0;
            LockWord.Exit(state);
        }
        finally
        {
            _memory.Exit();
        }
    }

    private protected override void ReleaseOne() => Release();

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

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles) => _memory.WriteShared(ref writer, handles);

    static ProcessLock IProcessShareable<ProcessLock>.ReadShared(ref MessagePackReader reader, HandleTable handles)
        => new(SharedMemory.ReadShared(ref reader, handles));
}
