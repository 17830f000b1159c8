namespace Plexus.Processes;

/// <summary>An exception raised by the manager (or by a registered type's method) of a type the proxy does not rebuild.</summary>
public sealed class ManagerRemoteException : Exception
{
    /// <summary>Creates the exception from the manager's report.</summary>
    public ManagerRemoteException(string remoteType, string message) : base($"{remoteType}: {message}") => RemoteType = remoteType;

    /// <summary>The full name of the exception's type in the manager.</summary>
    public string RemoteType { get; }
}
