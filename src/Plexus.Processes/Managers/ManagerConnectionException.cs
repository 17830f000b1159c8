namespace Plexus.Processes;

/// <summary>
/// A manager could not be reached: its process ended, was killed or shut down, the connection
/// broke, or (on connecting) the manager was out of descriptors and turned the connection away.
/// Every call on a proxy of that manager fails with this at once rather than waiting.
/// </summary>
public sealed class ManagerConnectionException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ManagerConnectionException(string message, Exception? inner = null) : base(message, inner) { }
}
