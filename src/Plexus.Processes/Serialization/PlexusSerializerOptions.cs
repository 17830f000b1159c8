using MessagePack;

namespace Plexus.Processes.Serialization;

/// <summary>Serializer options that carry the descriptors that travel beside a payload.</summary>
internal sealed class PlexusSerializerOptions : MessagePackSerializerOptions
{
    private PlexusSerializerOptions(HandleTable? handles)
        : base(PlexusSerializer.Resolver.Instance) => Handles = handles;

    public static PlexusSerializerOptions Create(HandleTable? handles)
        => (PlexusSerializerOptions)new PlexusSerializerOptions(handles).WithSecurity(MessagePackSecurity.UntrustedData);

    private PlexusSerializerOptions(PlexusSerializerOptions copyFrom) : base(copyFrom) => Handles = copyFrom.Handles;

    /// <summary>Descriptors sent (or received) with this payload, or <c>null</c> where none can travel.</summary>
    public HandleTable? Handles { get; }

    protected override MessagePackSerializerOptions Clone() => new PlexusSerializerOptions(this);
}
