using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Plexus.Processes.Sync;

/// <summary>How a queue waits for the other side's index to move before it sleeps on a futex.</summary>
internal static unsafe class IndexSpin
{
    private const long SpinTicksBudget = 50;  // microseconds a waiter spins before it sleeps (about what a cross-core wake costs)

    private const long SpinTicksBeforeYield = 5;  // microseconds of pure spinning before it yields between looks

    /// <summary>
    /// Waits without a futex while <c>*word == value</c>, up to the spin budget; <c>true</c> when it
    /// changed. It spins for a few microseconds, then yields the core between looks: on a busy machine
    /// the process it waits for may need this very core to make the change.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool SpinUntilChanged(long* word, long value) => SpinUntilReached(word, value + 1);

    /// <summary>Like <see cref="SpinUntilChanged"/>, for an index (it only grows): waits until it reaches <paramref name="target"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool SpinUntilReached(long* word, long target)
    {
        long start = Stopwatch.GetTimestamp();
        long yieldFrom = start + Stopwatch.Frequency * SpinTicksBeforeYield / 1_000_000;
        long end = start + Stopwatch.Frequency * SpinTicksBudget / 1_000_000;
        while (Volatile.Read(ref *word) < target)
        {
            long now = Stopwatch.GetTimestamp();
            if (now > end)
            {
                return false;
            }
            if (now > yieldFrom)
            {
                Thread.Yield();
            }
            else
            {
                Thread.SpinWait(4);
            }
        }
        return true;
    }
}
