using System.Globalization;
using Plexus.Native;

namespace Plexus.Processes.Sync;

/// <summary>
/// A mutual-exclusion word in shared memory that knows its owner: the owner's pid sits in the word
/// itself, so a waiter that has slept a slice can check whether that process still lives and, if not,
/// take the lock over in one compare-and-swap (the caller is told it was abandoned). Free → taken is
/// one CAS with no system call; a waiter spins briefly, then sleeps on the futex in 100 ms slices
/// (a futex wait with a timeout, woken at once by a release: not a sleep-poll).
/// </summary>
internal static unsafe class LockWord
{
    public const int Waiters = 0x40000000;
    public const int PidMask = 0x3FFFFFFF;
    private const int SpinRounds = 100;

    [ThreadStatic, System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006", Justification = "t_ marks a thread-static field")]

    private static int t_tid;

    /// <summary>This process's id (what goes into the word).</summary>
    public static readonly int Pid = Environment.ProcessId;

    /// <summary>The calling thread's kernel id (cached per thread).</summary>
    public static int Tid
    {
        get
        {
            int tid = t_tid;
            return tid != 0 ? tid : t_tid = Signals.CurrentThreadId();
        }
    }

    /// <summary>Takes the lock if it is free (no waiting).</summary>
    public static bool TryEnterNow(LockState* state)
        => Interlocked.CompareExchange(ref state->Word, Pid, 0) == 0;

    /// <summary>Takes the lock within <paramref name="deadline"/>.</summary>
    /// <param name="state">The lock.</param>
    /// <param name="deadline">When to give up (and the caller's cancellation token).</param>
    /// <param name="memory">The memory the lock lives in; the caller holds a reference on it.</param>
    /// <param name="abandonedBy">The pid of a dead owner the lock was taken from, else 0.</param>
    /// <returns><c>false</c> on timeout.</returns>
    public static bool Enter(LockState* state, Deadline deadline, SharedMemory memory, out int abandonedBy)
    {
        abandonedBy = 0;
        return TryEnterNow(state) || EnterSlow(state, deadline, memory, out abandonedBy);
    }

    private static bool EnterSlow(LockState* state, Deadline deadline, SharedMemory memory, out int abandonedBy)
    {
        abandonedBy = 0;
        int* word = &state->Word;
        int me = Pid;
        for (int i = 0; i < SpinRounds; i++)
        {
            // Spin even when the sleeper flag is set: the flag outlives the sleeper that set it, and
            // giving up on it would turn every later contention into a futex sleep.
            int seen = Volatile.Read(ref *word);
            if (seen == 0 && Interlocked.CompareExchange(ref *word, me, 0) == 0)
            {
                return true;
            }
            Thread.SpinWait(20);
        }
        while (true)
        {
            int seen = Volatile.Read(ref *word);
            if (seen == 0)
            {
                // Taken from the sleeping path: others may still sleep, so keep the flag (one spare wake at worst).
                if (Interlocked.CompareExchange(ref *word, me | Waiters, 0) == 0)
                {
                    return true;
                }
                continue;
            }
            int flagged = seen | Waiters;
            if (seen != flagged && Interlocked.CompareExchange(ref *word, flagged, seen) != seen)
            {
                continue;
            }
            if (deadline.RemainingMs == 0)
            {
                return false;
            }
            if (!Futex.Wait(word, flagged, deadline, memory))
            {
                int owner = seen & PidMask;
                if (owner != me && !IsAlive(owner)
                    && Interlocked.CompareExchange(ref *word, me | Waiters, flagged) == flagged)
                {
                    abandonedBy = owner;
                    return true;
                }
                if (deadline.Passed)
                {
                    return false;
                }
            }
        }
    }

    /// <summary>Frees the lock and wakes one sleeper if any.</summary>
    public static void Exit(LockState* state)
    {
        int old = Interlocked.Exchange(ref state->Word, 0);
        if ((old & Waiters) != 0)
        {
            Futex.Wake(&state->Word, 1);
        }
    }

    /// <summary>Whether the calling thread holds the lock.</summary>
    public static bool IsOwnedByCurrentThread(LockState* state)
        => (Volatile.Read(ref state->Word) & PidMask) == Pid && Volatile.Read(ref state->OwnerTid) == Tid;

    /// <summary>The current owner's pid, or 0.</summary>
    public static int OwnerPid(LockState* state) => Volatile.Read(ref state->Word) & PidMask;

    /// <summary>
    /// Whether <paramref name="pid"/> is a live process. A killed child stays a zombie until reaped, and
    /// <c>kill(pid, 0)</c> succeeds on zombies, so the state letter in <c>/proc/pid/stat</c> decides.
    /// </summary>
    public static bool IsAlive(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/stat");
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
        int paren = stat.LastIndexOf(')');
        return paren < 0 || paren + 2 >= stat.Length || stat[paren + 2] is not ('Z' or 'X' or 'x');
    }
}
