using MessagePack;

namespace Plexus.Processes.Serialization;

/// <summary>Serializer options that say how the descriptors of shareable objects travel beside a payload.</summary>
/// <remarks>
/// With a <see cref="Handles"/> table the descriptors ride with the payload (a child's launch, a
/// <see cref="Connection"/> frame, both over <c>SCM_RIGHTS</c>). Without one, each shareable object's
/// descriptors are left with this process's <see cref="ResourceSharer"/> and the payload says where to
/// fetch them: one-shot, or for the life of <see cref="Scope"/> when there is one.
/// </remarks>
internal sealed class PlexusSerializerOptions : MessagePackSerializerOptions
{
    private PlexusSerializerOptions(HandleTable? handles, ShareScope? scope)
        : base(PlexusSerializer.Resolver.Instance)
    {
        Handles = handles;
        Scope = scope;
    }

    public static PlexusSerializerOptions Create(HandleTable? handles, ShareScope? scope = null)
        => (PlexusSerializerOptions)new PlexusSerializerOptions(handles, scope).WithSecurity(MessagePackSecurity.UntrustedData);

    private PlexusSerializerOptions(PlexusSerializerOptions copyFrom) : base(copyFrom)
    {
        Handles = copyFrom.Handles;
        Scope = copyFrom.Scope;
    }

    /// <summary>Descriptors sent (or received) with this payload, or <c>null</c> where none ride with it.</summary>
    public HandleTable? Handles { get; }

    /// <summary>Where descriptors go through the resource sharer: how long its entries live (<c>null</c>: until fetched once).</summary>
    public ShareScope? Scope { get; }

    protected override MessagePackSerializerOptions Clone() => new PlexusSerializerOptions(this);
}
