namespace Plexus.Package.Tests;

/// <summary>
/// Packs every Plexus package once into a folder feed, under a version no other feed has, so a
/// consumer can only get them from here. The version's copies in the NuGet cache are removed after.
/// </summary>
public sealed class PackageFeed : IAsyncLifetime
{
    private static readonly string[] s_packages = ["plexus.native", "plexus.processes", "plexus.io", "plexus"];

    public string Root { get; } = Directory.CreateTempSubdirectory("plexus-packages-").FullName;

    public string Feed => Path.Combine(Root, "feed");

    public string Version { get; } = "0.1.0-" + s_suffix;

    private static readonly string s_suffix = $"local.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

    public static string RepositoryRoot
    {
        get
        {
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Plexus.slnx")))
            {
                dir = Path.GetDirectoryName(dir.TrimEnd('/'));
            }
            Assert.NotNull(dir);
            return dir!;
        }
    }

    public async Task InitializeAsync()
    {
        // The solution is built (Release) before the tests run, so packing reuses that build.
        await Dotnet.MustRunAsync("dotnet", RepositoryRoot, TimeSpan.FromMinutes(10),
            "pack", "Plexus.slnx", "-c", "Release", "--no-build", "--version-suffix", s_suffix, "-o", Feed, "-nologo", "-v", "q");
        // The consumer's own nuget.config adds this feed beside the machine's usual sources.
        await File.WriteAllTextAsync(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="plexus-local" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
    }

    public Task DisposeAsync()
    {
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string id in s_packages)
        {
            string copy = Path.Combine(cache, id, Version);
            if (Directory.Exists(copy))
            {
                Directory.Delete(copy, recursive: true);
            }
        }
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }
}
