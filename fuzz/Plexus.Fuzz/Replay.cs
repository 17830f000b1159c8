namespace Plexus.Fuzz;

/// <summary>Runs saved inputs once each, outside afl-fuzz: to reproduce a crash or check a corpus.</summary>
internal static class Replay
{
    public static int Run(Action<byte[]> target, string[] paths)
    {
        int findings = 0;
        foreach (string path in paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]).Order(StringComparer.Ordinal))
        {
            try
            {
                target(File.ReadAllBytes(path));
                Console.WriteLine($"ok {path}");
            }
            catch (Exception e)
            {
                findings++;
                Console.WriteLine($"FINDING {path}: {e}");
            }
        }
        return findings == 0 ? 0 : 1;
    }
}
