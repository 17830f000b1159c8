using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// A <see cref="ProcessQueue{T}"/> that counts unfinished items, Python's
/// <c>multiprocessing.JoinableQueue</c>: each put adds one, each <see cref="TaskDone"/> removes one,
/// and <see cref="Join(TimeSpan)"/> waits until the count is zero.
/// </summary>
/// <remarks>A consumer killed between its get and its <see cref="TaskDone"/> leaves the count one too high (as in Python).</remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Plexus names process-shared types after Python's (Queue, JoinableQueue) with the Process prefix.")]
public class ProcessJoinableQueue<T> : ProcessQueue<T>, IProcessShareable<ProcessJoinableQueue<T>>
{
    /// <summary>Creates a queue; see <see cref="ProcessQueue{T}(int, int)"/>.</summary>
    public ProcessJoinableQueue(int maxSize = 0, int capacityBytes = DefaultCapacityBytes) : base(maxSize, capacityBytes) { }

    private protected ProcessJoinableQueue(SharedMemory memory) : base(memory) { }

    /// <summary>Items put and not yet marked done with <see cref="TaskDone"/>.</summary>
    public int Unfinished => UnfinishedCount;

    /// <summary>Marks one item taken from the queue as processed (Python's <c>task_done()</c>).</summary>
    /// <exception cref="InvalidOperationException">Called more times than items were put.</exception>
    public void TaskDone() => TaskDoneCore();

    /// <summary>Waits until every item put has been marked done (Python's <c>join()</c>).</summary>
    public void Join() => JoinCore(Deadline.Infinite);

    /// <summary>Waits until every item put has been marked done or <paramref name="cancellationToken"/> fires.</summary>
    /// <exception cref="OperationCanceledException">The token fired first.</exception>
    public void Join(CancellationToken cancellationToken) => JoinCore(Deadline.From(Timeout.InfiniteTimeSpan, cancellationToken));

    /// <summary>Waits up to <paramref name="timeout"/> until every item put has been marked done.</summary>
    /// <returns><c>false</c> when items were still unfinished at the timeout.</returns>
    public bool Join(TimeSpan timeout) => JoinCore(Deadline.From(timeout));

    /// <summary>Waits up to <paramref name="timeout"/> until every item put has been marked done, unless <paramref name="cancellationToken"/> fires first.</summary>
    /// <returns><c>false</c> when items were still unfinished at the timeout.</returns>
    /// <exception cref="OperationCanceledException">The token fired first.</exception>
    /// <exception cref="ObjectDisposedException">The queue was closed in this process (also while waiting).</exception>
    public bool Join(TimeSpan timeout, CancellationToken cancellationToken) => JoinCore(Deadline.From(timeout, cancellationToken));

    static ProcessJoinableQueue<T> IProcessShareable<ProcessJoinableQueue<T>>.ReadShared(ref MessagePackReader reader, HandleTable handles)
        => new(SharedMemory.ReadShared(ref reader, handles));
}
