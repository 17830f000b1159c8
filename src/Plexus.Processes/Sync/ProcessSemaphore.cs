using System.Runtime.InteropServices;
using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// A counting semaphore shared by processes, Python's <c>multiprocessing.Semaphore</c>. Any thread of
/// any process may release. A slot held by a process that dies is not given back (as in Python).
/// </summary>
/// <remarks>The count is a futex word: an available slot costs one compare-and-swap.</remarks>
public unsafe class ProcessSemaphore : ProcessLockBase, IProcessShareable<ProcessSemaphore>, IProcessLockCore
{
    [StructLayout(LayoutKind.Sequential)]
    private struct State
    {
        public int Value;
        public int Sleepers;
        public int Max;
    }

    /// <summary>Creates a semaphore with <paramref name="initialCount"/> free slots (Python's default is 1).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0022", Justification = "Unsealed for ProcessBoundedSemaphore, as Python's BoundedSemaphore derives from Semaphore; ProcessLockBase has no protected members a subclass could reach.")]
    public ProcessSemaphore(int initialCount = 1) : this(initialCount, int.MaxValue) { }

    private protected ProcessSemaphore(int initialCount, int max) : base(SharedMemory.Create("semaphore", sizeof(State)))
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCount);
        State* s = (State*)_memory.Pointer;
        s->Value = initialCount;
        s->Max = max;
    }

    private protected ProcessSemaphore(SharedMemory memory) : base(memory) { }

    /// <summary>Free slots now (a snapshot; Python's <c>get_value()</c>).</summary>
    public int CurrentCount
    {
        get
        {
            State* s = (State*)_memory.Enter();
            try
            {
                return Volatile.Read(ref s->Value);
            }
            finally
            {
                _memory.Exit();
            }
        }
    }

    private protected override bool TryAcquireCore(Deadline deadline)
    {
        State* s = (State*)_memory.Enter();
        try
        {
            return TryAcquire(s, deadline);
        }
        finally
        {
            _memory.Exit();
        }
    }

    private bool TryAcquire(State* s, Deadline deadline)
    {
        int spins = 0;
        while (true)
        {
            int value = Volatile.Read(ref s->Value);
            if (value > 0)
            {
                if (Interlocked.CompareExchange(ref s->Value, value - 1, value) == value)
                {
                    return true;
                }
                continue;
            }
            if (spins++ < 50)
            {
                Thread.SpinWait(20);
                continue;
            }
            if (deadline.RemainingMs == 0)
            {
                return false;
            }
            Interlocked.Increment(ref s->Sleepers);
            try
            {
                Futex.Wait(&s->Value, 0, deadline, _memory);
            }
            finally
            {
                Interlocked.Decrement(ref s->Sleepers);
            }
        }
    }

    /// <summary>Gives back <paramref name="releaseCount"/> slots (Python's <c>release()</c>).</summary>
    /// <exception cref="SemaphoreFullException">A bounded semaphore would exceed its initial count.</exception>
    public void Release(int releaseCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(releaseCount);
        State* s = (State*)_memory.Enter();
        try
        {
            ReleaseCore(s, releaseCount);
        }
        finally
        {
            _memory.Exit();
        }
    }

    private static void ReleaseCore(State* s, int releaseCount)
    {
        while (true)
        {
            int value = Volatile.Read(ref s->Value);
            if ((long)value + releaseCount > s->Max)
            {
                throw new SemaphoreFullException(
                    $"releasing {releaseCount} slot(s) would raise this bounded semaphore to {(long)value + releaseCount}, above its limit of {s->Max}: " +
                    "it was released more times than it was acquired");
            }
            if (Interlocked.CompareExchange(ref s->Value, value + releaseCount, value) == value)
            {
                break;
            }
        }
        if (Volatile.Read(ref s->Sleepers) > 0)
        {
            Futex.Wake(&s->Value, releaseCount);
        }
    }

    private protected override void ReleaseOne() => Release();

    void IProcessLockCore.Release() => Release();

    bool IProcessLockCore.IsOwnedByCurrentThread => true;

    int IProcessLockCore.ReleaseForWait()
    {
        Release();
        return 1;
    }

    void IProcessLockCore.ReacquireAfterWait(int saved) => TryAcquire(Timeout.InfiniteTimeSpan);

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles) => _memory.WriteShared(ref writer, handles);

    static ProcessSemaphore IProcessShareable<ProcessSemaphore>.ReadShared(ref MessagePackReader reader, HandleTable handles)
        => new(SharedMemory.ReadShared(ref reader, handles));
}
