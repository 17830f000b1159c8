using System.Runtime.CompilerServices;
using Plexus.Native;

namespace Plexus.Processes.Sync;

/// <summary>
/// Waits on and wakes a 32-bit word in shared memory (<c>futex(2)</c>, process-shared form). A wait
/// returns at once when the word no longer holds the expected value, so a change made between a
/// caller's check and its wait is never missed.
/// </summary>
internal static unsafe class Futex
{
    /// <summary>Sleeps while <c>*word == expected</c>, at most <paramref name="timeoutMs"/> (-1: no limit).</summary>
    /// <returns><c>false</c> when the timeout elapsed; <c>true</c> on a wake, a changed word or a signal.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Wait(int* word, int expected, int timeoutMs) => SharedFutex.Wait(word, expected, timeoutMs);

    /// <summary>Longest single sleep of <see cref="Wait(int*, int, Deadline, SharedMemory, bool)"/>: how late a sleeper may notice a dispose, or a missed cancel wake.</summary>
    private const int SliceMs = 100;

    /// <summary>
    /// Sleeps while <c>*word == expected</c>, until <paramref name="deadline"/>, a wake, the caller's
    /// token, or (within one 100 ms slice) the disposal of <paramref name="owner"/> in this process. The
    /// caller holds a reference on <paramref name="owner"/> (<see cref="SharedMemory.Enter"/>), so the
    /// word stays mapped meanwhile.
    /// </summary>
    /// <returns><c>false</c> when this sleep timed out (it lasts at most 100 ms; the caller loops on its own condition).</returns>
    /// <exception cref="OperationCanceledException">The deadline's token fired.</exception>
    /// <exception cref="ObjectDisposedException">The object was disposed in this process.</exception>
    /// <param name="word">The futex word.</param>
    /// <param name="expected">The value to sleep on.</param>
    /// <param name="deadline">When to give up, and the caller's token.</param>
    /// <param name="owner">The memory the word lives in.</param>
    /// <param name="changedOnDispose">
    /// Whether the owner's dispose changes this word and wakes it (the queue's sequence words): then a
    /// sleep with no token needs no slices, which spares a timer per sleep on the queue's hot path.
    /// </param>
    public static bool Wait(int* word, int expected, Deadline deadline, SharedMemory owner, bool changedOnDispose = false)
    {
        int left = deadline.RemainingMs;
        if (left == 0)
        {
            return false;
        }
        CancellationToken token = deadline.Token;
        // The registration wakes this sleeper when the token fires; a wake that lands between the check
        // below and the kernel's sleep is lost, which the slice bounds. A dispose is seen at the end of
        // the slice: registering every sleep with it would cost the queue's sleep-and-wake path.
        using CancellationTokenRegistration onCancel = token.CanBeCanceled ? token.UnsafeRegister(s_wakeWord, (nint)word) : default;
        owner.ThrowIfDisposed();
        token.ThrowIfCancellationRequested();
        bool woken = Wait(word, expected, changedOnDispose && !token.CanBeCanceled ? left : left < 0 ? SliceMs : Math.Min(left, SliceMs));
        owner.ThrowIfDisposed();
        token.ThrowIfCancellationRequested();
        return woken;
    }

    private static readonly Action<object?> s_wakeWord = static word => WakeAll((int*)(nint)word!);

    /// <summary>Wakes up to <paramref name="count"/> processes sleeping on <paramref name="word"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Wake(int* word, int count) => SharedFutex.Wake(word, count);

    /// <summary>Wakes every sleeper on <paramref name="word"/>.</summary>
    public static void WakeAll(int* word) => Wake(word, int.MaxValue);
}
