using MessagePack;

namespace Plexus.Processes.Serialization;

/// <summary>Static half of <see cref="IProcessShareable"/>: how the receiving side rebuilds it.</summary>
internal interface IProcessShareable<TSelf> : IProcessShareable where TSelf : IProcessShareable<TSelf>
{
    static abstract TSelf ReadShared(ref MessagePackReader reader, HandleTable handles);
}
