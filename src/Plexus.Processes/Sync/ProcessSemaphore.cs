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
public unsafe class ProcessSemaphore : IProcessShareable<ProcessSemaphore>, IProcessLockCore, IDisposable
{
    [StructLayout(LayoutKind.Sequential)]
    private struct State
    {
        public int Value;
        public int Sleepers;
        public int Max;
    }

    private readonly SharedMemory _memory;

    /// <summary>Creates a semaphore with <paramref name="initialCount"/> free slots (Python's default is 1).</summary>
    public ProcessSemaphore(int initialCount = 1) : this(initialCount, int.MaxValue) { }

    private protected ProcessSemaphore(int initialCount, int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCount);
        _memory = SharedMemory.Create("semaphore", sizeof(State));
        S->Value = initialCount;
        S->Max = max;
    }

    private protected ProcessSemaphore(SharedMemory memory) => _memory = memory;

    private State* S => (State*)_memory.Pointer;

    /// <summary>Free slots now (a snapshot; Python's <c>get_value()</c>).</summary>
    public int CurrentCount => Volatile.Read(ref S->Value);

    /// <summary>Blocks until a slot is taken; dispose the result to give it back.</summary>
    public ProcessLockScope Acquire()
    {
        TryAcquire(Timeout.InfiniteTimeSpan);
        return new ProcessLockScope(this);
    }

    /// <summary>Takes a slot if one is free now.</summary>
    public bool TryAcquire() => TryAcquire(TimeSpan.Zero);

    /// <summary>Takes a slot within <paramref name="timeout"/> (Python's <c>acquire(timeout=...)</c>).</summary>
    /// <returns><c>false</c> when the timeout passed first.</returns>
    public bool TryAcquire(TimeSpan timeout)
    {
        Deadline deadline = Deadline.From(timeout);
        State* s = S;
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
            int left = deadline.RemainingMs;
            if (left == 0)
            {
                return false;
            }
            Interlocked.Increment(ref s->Sleepers);
            Futex.Wait(&s->Value, 0, left);
            Interlocked.Decrement(ref s->Sleepers);
        }
    }

    /// <summary>Gives back <paramref name="releaseCount"/> slots (Python's <c>release()</c>).</summary>
    /// <exception cref="SemaphoreFullException">A bounded semaphore would exceed its initial count.</exception>
    public void Release(int releaseCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(releaseCount);
        State* s = S;
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

    void IProcessLockCore.Release() => Release();

    bool IProcessLockCore.IsOwnedByCurrentThread => true;

    int IProcessLockCore.ReleaseForWait()
    {
        Release();
        return 1;
    }

    void IProcessLockCore.ReacquireAfterWait(int saved) => TryAcquire(Timeout.InfiniteTimeSpan);

    /// <summary>Unmaps the semaphore in this process (other processes keep it).</summary>
    public void Dispose()
    {
        _memory.Dispose();
        GC.SuppressFinalize(this);
    }

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles) => _memory.WriteShared(ref writer, handles);

    static ProcessSemaphore IProcessShareable<ProcessSemaphore>.ReadShared(ref MessagePackReader reader, HandleTable handles)
        => new(SharedMemory.ReadShared(ref reader, handles));
}
