namespace Plexus.Processes;

/// <summary>A <see cref="ProcessBarrier"/> was broken (Python's <c>BrokenBarrierError</c>).</summary>
public sealed class ProcessBarrierBrokenException : Exception
{
    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public ProcessBarrierBrokenException(string message) : base(message) { }
}
