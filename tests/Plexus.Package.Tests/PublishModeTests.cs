using Xunit.Abstractions;

namespace Plexus.Package.Tests;

/// <summary>
/// A child starts in each way an app can be published: framework-dependent (<c>dotnet app.dll</c>, through
/// the startup hook), and through <c>ChildProcess.RunIfChild()</c> where there is no hook: self-contained
/// single-file (no assembly paths), trimmed (hooks off) and NativeAOT (no JIT; the target found by name).
/// </summary>
[Collection(SharedPackageFeed.Name)]
public sealed class PublishModeTests(PackageFeed feed, ITestOutputHelper log)
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
            return;
        }
        using (var pool = new ProcessPool(2))
        {
            Console.WriteLine("map: " + string.Join(",", pool.Map(Work.Square, new[] { 1, 2, 3, 4 })));
        }
        (Connection a, Connection b) = ProcessPipe.Create();
        using (ChildProcess c = ChildProcess.Create(Work.Sum, b, new[] { 1, 2, 3 }, new List<string> { "x", "y" }).Start())
        {
            Console.WriteLine($"arrays: {a.Receive<string>()}");
            c.Join();
        }
        try
        {
            using ChildProcess job = ChildProcess.Create(Work.TakesJob, new Job(7, "seven")).Start();
            job.Join();
            Console.WriteLine($"job exit: {job.ExitCode}");
        }
        catch (ArgumentException e)
        {
            Console.WriteLine($"job refused: {e.Message}");
        }

        internal sealed record Job(int Id, string Name);

        internal static class Work
        {
            public static void Reply(Connection conn, int n) => conn.Send(n * 2);

            public static int Square(int x) => x * x;

            public static void Sum(Connection conn, int[] numbers, List<string> words) => conn.Send($"{numbers.Sum()} {string.Join('+', words)}");

            public static void TakesJob(Job job) => Console.WriteLine($"job: {job.Id} {job.Name}");
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
        AssertChildrenRan(run);
        Assert.Contains("job: 7 seven", run, StringComparison.Ordinal);
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
        AssertChildrenRan(run);

        string missing = await Dotnet.MustRunAsync(exe, app, s_long, "no-entry");
        Assert.Contains("start failed: this is a single-file app", missing, StringComparison.Ordinal);
        Assert.Contains("ChildProcess.RunIfChild()", missing, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_trimmed_self_contained_app_starts_children_and_a_pool_through_RunIfChild()
    {
        string app = await CreateAppAsync("trimmed");
        string output = Path.Combine(app, "out");
        await Dotnet.MustRunAsync("dotnet", app, s_long, "publish", "-c", "Release", "-o", output, "-nologo",
            "-r", "linux-x64", "--self-contained", "-p:PublishTrimmed=true");
        string exe = Path.Combine(output, "app");

        string run = await Dotnet.MustRunAsync(exe, app, s_long);
        log.WriteLine(run);
        AssertChildrenRan(run);
        Assert.Contains("job: 7 seven", run, StringComparison.Ordinal);

        // A trimmed app runs no startup hooks, so without RunIfChild a child cannot start; Start says so.
        string missing = await Dotnet.MustRunAsync(exe, app, s_long, "no-entry");
        Assert.Contains("start failed: this is a trimmed (startup hooks off) app", missing, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_NativeAot_app_starts_children_and_a_pool_and_refuses_a_type_it_cannot_send_in_one_line()
    {
        string app = await CreateAppAsync("aot");
        string output = Path.Combine(app, "out");
        await Dotnet.MustRunAsync("dotnet", app, s_long, "publish", "-c", "Release", "-o", output, "-nologo",
            "-r", "linux-x64", "-p:PublishAot=true");
        string exe = Path.Combine(output, "app");
        Assert.False(File.Exists(Path.Combine(output, "Plexus.Processes.dll")), "a NativeAOT app has no assemblies beside it");

        string run = await Dotnet.MustRunAsync(exe, app, s_long);
        log.WriteLine(run);
        AssertChildrenRan(run);
        Assert.Contains("job refused: argument 'job' of Work.TakesJob (Job) cannot be sent to child process", run, StringComparison.Ordinal);
        Assert.Contains("in a NativeAOT app Plexus cannot send a Job to a child", run, StringComparison.Ordinal);

        string missing = await Dotnet.MustRunAsync(exe, app, s_long, "no-entry");
        Assert.Contains("start failed: this is a NativeAOT app", missing, StringComparison.Ordinal);
        Assert.Contains("ChildProcess.RunIfChild()", missing, StringComparison.Ordinal);
    }

    private static void AssertChildrenRan(string run)
    {
        Assert.Contains("pipe: 42", run, StringComparison.Ordinal);
        Assert.Contains("child exit: 0", run, StringComparison.Ordinal);
        Assert.Contains("map: 1,4,9,16", run, StringComparison.Ordinal);
        Assert.Contains("arrays: 6 x+y", run, StringComparison.Ordinal);
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
