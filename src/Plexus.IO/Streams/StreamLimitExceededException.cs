namespace Plexus.IO;

/// <summary>
/// A delimited read (<see cref="LoopStreamReader.ReadLineAsync"/>, <see cref="LoopStreamReader.ReadUntilAsync"/>)
/// found no delimiter within the reader's limit (Python's <c>LimitOverrunError</c>). The data read so
/// far was discarded, so memory stays bounded by the limit.
/// </summary>
public sealed class StreamLimitExceededException : IOException
{
    /// <summary>Creates the exception.</summary>
    public StreamLimitExceededException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with the default message.</summary>
    public StreamLimitExceededException() : base("a delimited read exceeded the stream reader's limit")
    {
    }

    /// <summary>Creates the exception with an inner exception.</summary>
    public StreamLimitExceededException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
