using MessagePack;

namespace Plexus.Processes.Serialization;

/// <summary>
/// An object that stands for a kernel resource shared between processes (a pipe end, a queue, a
/// lock): it travels to a child as descriptors plus a little data, and arrives connected.
/// </summary>
public interface IProcessShareable
{
    /// <summary>Writes this object's data, adding its descriptors to <paramref name="handles"/>.</summary>
    internal void WriteShared(ref MessagePackWriter writer, HandleTable handles);
}
