namespace Plexus.Processes;

/// <summary>A get found no item in time (Python's <c>queue.Empty</c>).</summary>
public sealed class ProcessQueueEmptyException : InvalidOperationException
{
    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public ProcessQueueEmptyException(string message) : base(message) { }
}
