using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// The <c>object</c> form of <see cref="ProcessQueue{T}"/>: items of mixed types (primitives,
/// strings, byte arrays, <c>object?[]</c>, lists, dictionaries) round-trip with their exact types,
/// like Python's <c>multiprocessing.Queue</c> (<c>[11, null, "hello"]</c> comes back as such).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Plexus names process-shared types after Python's (Queue, JoinableQueue) with the Process prefix.")]
public sealed class ProcessQueue : ProcessQueue<object?>, IProcessShareable<ProcessQueue>
{
    /// <summary>Creates a queue; see <see cref="ProcessQueue{T}(int, int)"/>.</summary>
    public ProcessQueue(int maxSize = 0, int capacityBytes = DefaultCapacityBytes) : base(maxSize, capacityBytes) { }

    private ProcessQueue(SharedMemory memory) : base(memory) { }

    static ProcessQueue IProcessShareable<ProcessQueue>.ReadShared(ref MessagePackReader reader, HandleTable handles)
        => new(SharedMemory.ReadShared(ref reader, handles));
}
