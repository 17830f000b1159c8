namespace Plexus.Faults;

/// <summary>A property a row must keep did not hold; the message says which and by how much.</summary>
internal sealed class FaultCheckException(string message) : Exception(message);
