namespace Plexus.Fuzz;

/// <summary>An oracle of a target was violated (not an exception the decoder threw itself).</summary>
internal sealed class FuzzFinding(string message) : Exception(message);
