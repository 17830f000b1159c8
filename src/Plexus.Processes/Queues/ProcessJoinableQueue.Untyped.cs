using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>The <c>object</c> form of <see cref="ProcessJoinableQueue{T}"/>.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Plexus names process-shared types after Python's (Queue, JoinableQueue) with the Process prefix.")]
public sealed class ProcessJoinableQueue : ProcessJoinableQueue<object?>, IProcessShareable<ProcessJoinableQueue>
{
    /// <summary>Creates a queue; see <see cref="ProcessQueue{T}(int, int)"/>.</summary>
    public ProcessJoinableQueue(int maxSize = 0, int capacityBytes = ProcessQueue<object?>.DefaultCapacityBytes) : base(maxSize, capacityBytes) { }

    private ProcessJoinableQueue(SharedMemory memory) : base(memory) { }

    static ProcessJoinableQueue IProcessShareable<ProcessJoinableQueue>.ReadShared(ref MessagePackReader reader, HandleTable handles)
        => new(SharedMemory.ReadShared(ref reader, handles));
}
