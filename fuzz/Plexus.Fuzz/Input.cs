namespace Plexus.Fuzz;

/// <summary>Reads one fuzz input, cut to <see cref="MaxLength"/>: longer inputs only slow the loop down.</summary>
internal static class Input
{
    public const int MaxLength = 64 * 1024;

    public static byte[] Read(Stream stream)
    {
        using var copy = new MemoryStream();
        byte[] chunk = new byte[8192];
        int n;
        while (copy.Length < MaxLength && (n = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            copy.Write(chunk, 0, n);
        }
        byte[] all = copy.ToArray();
        return all.Length > MaxLength ? all[..MaxLength] : all;
    }
}
