namespace Plexus.Processes.Tests;

/// <summary>Where the repository's files are, found from the test assembly's own folder.</summary>
internal static class Repository
{
    public static string Root
    {
        get
        {
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Plexus.slnx")))
                dir = Path.GetDirectoryName(dir.TrimEnd('/'));
            Assert.NotNull(dir);
            return dir!;
        }
    }
}
