namespace Plexus.Processes;

/// <summary>A namespace the manager serves (<see cref="ManagedNamespace"/>): a dictionary of attributes by name.</summary>
internal sealed class ServedNamespace(int id) : ServedDictionary(id)
{
    public override string Kind => ManagerKinds.Namespace;

    protected override string Noun => "namespace";
}
