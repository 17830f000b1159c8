namespace Plexus.Fuzz;

/// <summary>The fuzz targets by name (<c>fuzz/run.sh --list</c>); the corpus of each is <c>fuzz/NAME/corpus</c>.</summary>
internal static class FuzzTargets
{
    private static readonly (string Name, Action<byte[]> Run)[] s_all =
    [
        ("connection", ConnectionTarget.Run),
        ("serializer", SerializerTarget.Run),
        ("manager", ManagerTarget.Run),
        ("handshake", HandshakeTarget.Run),
        ("pool", PoolTarget.Run),
        ("queue", QueueTarget.Run),
        ("lab-load", LabLoadTarget.Run),
    ];

    public static IEnumerable<string> Names => s_all.Select(t => t.Name);

    public static bool TryGet(string name, out Action<byte[]> run)
    {
        run = s_all.FirstOrDefault(t => t.Name == name).Run;
        return run is not null;
    }
}
