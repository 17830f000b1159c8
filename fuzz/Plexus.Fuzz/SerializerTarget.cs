using Plexus.Processes.Serialization;

namespace Plexus.Fuzz;

/// <summary>
/// <c>serializer</c>: <see cref="PlexusSerializer.Deserialize{T}"/> of hostile bytes, as every receiver
/// (a pipe, a queue, a pool worker, the manager) runs it. The first byte picks the declared type; the
/// oracles: only serializer errors escape, and nothing outside the closed set is built.
/// </summary>
internal static class SerializerTarget
{
    public static void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        ReadOnlyMemory<byte> payload = input.AsMemory(1);
        try
        {
            ClosedSet.Check(Decode(input[0], payload));
        }
        catch (Exception e) when (Expected.IsSerializerError(e))
        {
        }
    }

    /// <summary>Reads <paramref name="payload"/> as the declared type number <paramref name="selector"/> picks.</summary>
    public static object? Decode(byte selector, ReadOnlyMemory<byte> payload) => (selector % 8) switch
    {
        0 => PlexusSerializer.Deserialize<object?>(payload),
        1 => PlexusSerializer.Deserialize<object?[]>(payload),
        2 => PlexusSerializer.Deserialize<FuzzRecord>(payload),
        3 => PlexusSerializer.Deserialize<Dictionary<string, object?>>(payload),
        4 => PlexusSerializer.Deserialize<List<FuzzPoint>>(payload),
        5 => PlexusSerializer.Deserialize<(int, string)>(payload),
        6 => PlexusSerializer.Deserialize<FuzzColor>(payload),
        _ => PlexusSerializer.Deserialize(typeof(FuzzRecord), payload),
    };
}
