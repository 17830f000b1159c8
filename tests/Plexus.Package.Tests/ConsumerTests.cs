namespace Plexus.Package.Tests;

/// <summary>
/// What someone who is not us gets: the packages from a local feed in a fresh console app outside
/// the repository, and the <c>plexus</c> tool installed from the same feed.
/// </summary>
[Collection(SharedPackageFeed.Name)]
public sealed class ConsumerTests(PackageFeed feed)
{
    private static readonly TimeSpan s_long = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_fresh_console_app_builds_from_the_packages_without_warnings_and_runs()
    {
        string app = Path.Combine(feed.Root, "consumer");
        Directory.CreateDirectory(app);
        await Dotnet.MustRunAsync("dotnet", app, s_long, "new", "console", "--force");
        foreach (string package in new[] { "Plexus.Processes", "Plexus.IO" })
        {
            await Dotnet.MustRunAsync("dotnet", app, s_long, "add", "package", package, "--version", feed.Version);
        }
        File.Copy(Path.Combine(PackageFeed.RepositoryRoot, "tests", "Plexus.Package.Tests", "consumer", "Program.cs"), Path.Combine(app, "Program.cs"), overwrite: true);

        string build = await Dotnet.MustRunAsync("dotnet", app, s_long, "build", "-c", "Release", "-warnaserror", "-nologo");
        Assert.Contains("0 Warning(s)", build, StringComparison.Ordinal);

        string output = await Dotnet.MustRunAsync(Path.Combine(app, "bin", "Release", "net10.0", "consumer"), app, s_long);
        Assert.Contains("pipe: 42", output, StringComparison.Ordinal);
        Assert.Contains("child exit: 0", output, StringComparison.Ordinal);
        Assert.Contains("map: 1,4,9,16", output, StringComparison.Ordinal);
        Assert.Contains("crash: reported", output, StringComparison.Ordinal);
        Assert.Contains("after crash: 25", output, StringComparison.Ordinal);
        Assert.Contains("queue: 10100, counted: 200", output, StringComparison.Ordinal);
        Assert.Contains("echo: hello loop", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_plexus_tool_installs_from_the_feed_and_runs_a_small_bench()
    {
        string tools = Path.Combine(feed.Root, "tools");
        await Dotnet.MustRunAsync("dotnet", feed.Root, s_long,
            "tool", "install", "plexus", "--version", feed.Version, "--tool-path", tools, "--add-source", feed.Feed);
        string plexus = Path.Combine(tools, "plexus");

        string version = await Dotnet.MustRunAsync(plexus, feed.Root, s_long, "--version");
        Assert.Contains("0.1.0", version, StringComparison.Ordinal);

        string results = Path.Combine(feed.Root, "bench");
        await Dotnet.MustRunAsync(plexus, feed.Root, s_long, "bench", "--models", "epoll,coroutines", "--connections", "10", "--duration", "1s", "--out", results);
        string table = await File.ReadAllTextAsync(Path.Combine(results, "results.md"));
        Assert.Contains("epoll", table, StringComparison.Ordinal);
        Assert.Contains("coroutines", table, StringComparison.Ordinal);
    }
}
