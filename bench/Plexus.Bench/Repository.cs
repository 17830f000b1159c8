/// <summary>Where the repository is: benchmarks find the Python baselines and the built <c>plexus</c> under it.</summary>
internal static class Repository
{
    /// <summary>The folder that holds <c>Plexus.slnx</c>, above the benchmark's own folder.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Plexus.slnx")))
        {
            dir = Path.GetDirectoryName(dir.TrimEnd('/'));
        }
        return dir ?? throw new InvalidOperationException("run from the repository: Plexus.slnx was not found above the benchmark");
    }
}
