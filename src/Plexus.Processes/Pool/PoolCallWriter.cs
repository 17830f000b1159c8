using MessagePack;

namespace Plexus.Processes;

/// <summary>Writes the arguments of call <paramref name="index"/> of a batch (as <c>[arg, ...]</c>).</summary>
internal delegate void PoolCallWriter(ref MessagePackWriter writer, int index);
