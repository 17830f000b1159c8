namespace Plexus.Native;

/// <summary>
/// Signal numbers and the calling thread's signal mask: what a thread needs to take signals
/// synchronously (block them, then read them from a <see cref="SignalFd"/>) instead of in a handler.
/// </summary>
public static unsafe class Signals
{
    /// <summary>SIGIO: what the kernel sends a signal-driven descriptor's owner when its real-time signal cannot be queued.</summary>
    public const int SigIo = LibC.SIGIO;

    /// <summary>
    /// The first real-time signal applications may use (glibc's <c>SIGRTMIN</c>, 34 on Linux: glibc
    /// keeps 32 and 33 for itself, and the .NET runtime takes <c>SIGRTMIN</c> to interrupt threads).
    /// </summary>
    public static int RealTimeMin => LibC.__libc_current_sigrtmin();

    /// <summary>The calling thread's kernel id (<c>gettid</c>), for directing signals to it.</summary>
    public static int CurrentThreadId() => LibC.gettid();

    /// <summary>
    /// Blocks <paramref name="signals"/> in the calling thread only (<c>pthread_sigmask</c>): they stay
    /// pending until read from a <see cref="SignalFd"/>. Threads created later by this one inherit the mask.
    /// </summary>
    public static void BlockInCurrentThread(params ReadOnlySpan<int> signals) => Mask(LibC.SIG_BLOCK, signals);

    /// <summary>Unblocks <paramref name="signals"/> in the calling thread; any still pending are then delivered.</summary>
    public static void UnblockInCurrentThread(params ReadOnlySpan<int> signals) => Mask(LibC.SIG_UNBLOCK, signals);

    internal static LibC.SigSet SetOf(ReadOnlySpan<int> signals)
    {
        LibC.SigSet set = default;
        foreach (int signal in signals)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(signal, 1, nameof(signals));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(signal, 64, nameof(signals));
            set.Add(signal);
        }
        return set;
    }

    private static void Mask(int how, ReadOnlySpan<int> signals)
    {
        LibC.SigSet set = SetOf(signals);
        int error = LibC.pthread_sigmask(how, &set, null);
        if (error != 0)
        {
            throw new ErrnoException("pthread_sigmask", error);
        }
    }
}
