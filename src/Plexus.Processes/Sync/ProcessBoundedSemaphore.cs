using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// A semaphore that refuses to be released above its initial count, Python's
/// <c>multiprocessing.BoundedSemaphore</c>: an extra release is a <see cref="SemaphoreFullException"/>.
/// </summary>
public sealed class ProcessBoundedSemaphore : ProcessSemaphore, IProcessShareable<ProcessBoundedSemaphore>
{
    /// <summary>Creates a semaphore with <paramref name="initialCount"/> slots, which is also its limit.</summary>
    public ProcessBoundedSemaphore(int initialCount = 1) : base(initialCount, initialCount) { }

    private ProcessBoundedSemaphore(SharedMemory memory) : base(memory) { }

    static ProcessBoundedSemaphore IProcessShareable<ProcessBoundedSemaphore>.ReadShared(ref MessagePackReader reader, HandleTable handles)
        => new(SharedMemory.ReadShared(ref reader, handles));
}
