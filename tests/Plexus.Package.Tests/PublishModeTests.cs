using Xunit.Abstractions;

namespace Plexus.Package.Tests;

/// <summary>
/// A child starts in each way an app can be published: framework-dependent (<c>dotnet app.dll</c>, through
/// the startup hook) and self-contained single-file (no assembly paths, so through <c>ChildProcess.RunIfChild()</c>).
/// </summary>
public sealed class PublishModeTests(PackageFeed feed, ITestOutputHelper log) : IClassFixture<PackageFeed>
{
    private static readonly TimeSpan s_long = TimeSpan.FromMinutes(10);

    // Without the argument "no-entry" the app calls RunIfChild first, as the docs ask; with it, it does not.
    private const string Program = """
        using System.Diagnostics;
        using Plexus.Processes;

        if (!args.Contains("no-entry"))
        {
            ChildProcess.RunIfChild();
        }
        try
        {
            (Connection mine, Connection theirs) = ProcessPipe.Create();
            var clock = Stopwatch.StartNew();
            using ChildProcess child = ChildProcess.Create(Work.Reply, theirs, 21).Start();
            theirs.Close();
            int reply = mine.Receive<int>();
            Console.WriteLine($"pipe: {reply} in {clock.ElapsedMilliseconds} ms");
            child.Join();
            Console.WriteLine($"child exit: {child.ExitCode}");
        }
        catch (Exception e) when (e is InvalidOperationException or PlatformNotSupportedException)
        {
            Console.WriteLine($"start failed: {e.Message}");
        }

        internal static class Work
        {
            public static void Reply(Connection conn, int n) => conn.Send(n * 2);
        }
        """;

    [Fact]
    public async Task A_framework_dependent_app_run_with_dotnet_starts_a_child()
    {
        string app = await CreateAppAsync("fdd");
        string output = Path.Combine(app, "out");
        await Dotnet.MustRunAsync("dotnet", app, s_long, "publish", "-c", "Release", "-o", output, "-nologo");

        string run = await Dotnet.MustRunAsync("dotnet", app, s_long, Path.Combine(output, "app.dll"));
        log.WriteLine(run);
        Assert.Contains("pipe: 42", run, StringComparison.Ordinal);
        Assert.Contains("child exit: 0", run, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_single_file_app_starts_a_child_through_RunIfChild_and_says_so_when_it_is_missing()
    {
        string app = await CreateAppAsync("single");
        string output = Path.Combine(app, "out");
        await Dotnet.MustRunAsync("dotnet", app, s_long, "publish", "-c", "Release", "-o", output, "-nologo",
            "-r", "linux-x64", "--self-contained", "-p:PublishSingleFile=true");
        string exe = Path.Combine(output, "app");
        Assert.False(File.Exists(Path.Combine(output, "Plexus.Processes.dll")), "the libraries should be bundled in the executable");

        string run = await Dotnet.MustRunAsync(exe, app, s_long);
        log.WriteLine(run);
        Assert.Contains("pipe: 42", run, StringComparison.Ordinal);
        Assert.Contains("child exit: 0", run, StringComparison.Ordinal);

        string missing = await Dotnet.MustRunAsync(exe, app, s_long, "no-entry");
        Assert.Contains("start failed: this is a single-file app", missing, StringComparison.Ordinal);
        Assert.Contains("ChildProcess.RunIfChild()", missing, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_NativeAot_app_is_refused_with_one_clear_error()
    {
        string app = await CreateAppAsync("aot");
        string output = Path.Combine(app, "out");
        await Dotnet.MustRunAsync("dotnet", app, s_long, "publish", "-c", "Release", "-o", output, "-nologo",
            "-r", "linux-x64", "-p:PublishAot=true");

        string run = await Dotnet.MustRunAsync(Path.Combine(output, "app"), app, s_long);
        Assert.Contains("start failed: Plexus child processes do not work in a NativeAOT app", run, StringComparison.Ordinal);
    }

    private async Task<string> CreateAppAsync(string name)
    {
        string app = Path.Combine(feed.Root, name, "app");
        Directory.CreateDirectory(app);
        await Dotnet.MustRunAsync("dotnet", app, s_long, "new", "console", "--force");
        await Dotnet.MustRunAsync("dotnet", app, s_long, "add", "package", "Plexus.Processes", "--version", feed.Version);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), Program);
        return app;
    }
}
