namespace Plexus.Processes;

/// <summary>
/// A manager could not be reached: its process ended, was killed or shut down, or the connection
/// broke. Every call on a proxy of that manager fails with this at once rather than waiting.
/// </summary>
public sealed class ManagerConnectionException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ManagerConnectionException(string message, Exception? inner = null) : base(message, inner) { }
}
