namespace Plexus.Lab;

/// <summary>A failure the lab reports as one clear line (and a non-zero exit code).</summary>
internal sealed class LabException : Exception
{
    public LabException(string message, int errno = 0) : base(message) => Errno = errno;

    public LabException() { }

    public LabException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The errno behind the failure, or 0.</summary>
    public int Errno { get; }
}
