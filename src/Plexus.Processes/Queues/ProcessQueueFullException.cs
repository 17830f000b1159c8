namespace Plexus.Processes;

/// <summary>A put found no room in time (Python's <c>queue.Full</c>).</summary>
public sealed class ProcessQueueFullException : InvalidOperationException
{
    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public ProcessQueueFullException(string message) : base(message) { }
}
