using System.Diagnostics;

namespace Plexus.Processes.Tests;

public class PoolSampleTests
{
    private static (int ExitCode, string[] Lines) RunSample(string name)
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Plexus.slnx")))
        {
            dir = Path.GetDirectoryName(dir);
        }
        Assert.NotNull(dir);
        string dll = Path.Combine(dir!, "samples/Plexus.Samples/bin/Release/net10.0/Plexus.Samples.dll");
        Assert.True(File.Exists(dll), $"build the samples first: {dll}");
        var info = new ProcessStartInfo("dotnet", [dll, name]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(info)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{name} did not finish");
        }
        Assert.True(error.Result.Length == 0, error.Result);
        return (process.ExitCode, output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void S11_apply_is_serial_and_apply_async_parallel()
    {
        (int code, string[] lines) = RunSample("s11");
        Assert.Equal(0, code);
        int async = Array.IndexOf(lines, "apply_async:");
        string[] apply = lines[..async];
        string[] parallel = lines[async..];
        // apply: every worker line comes between start and end; apply_async: end comes first.
        Assert.Equal(10, apply.SkipWhile(l => l != "start").TakeWhile(l => l != "end").Count(l => l.StartsWith("pid =", StringComparison.Ordinal)));
        Assert.Equal(10, parallel.SkipWhile(l => l != "end").Count(l => l.StartsWith("pid =", StringComparison.Ordinal)));
        Assert.Equal(5, parallel.Where(l => l.StartsWith("pid =", StringComparison.Ordinal)).Distinct().Count());
    }

    [Fact]
    public void S12_callbacks_run_in_the_parent()
    {
        (int code, string[] lines) = RunSample("s12");
        Assert.Equal(0, code);
        string parentPid = lines[0];
        string[] done = lines.Where(l => l.StartsWith("-->exec done:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(10, done.Length);
        Assert.All(done, l => Assert.EndsWith(" " + parentPid, l));
        Assert.Equal(Enumerable.Range(100, 10).Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(),
            done.Select(l => l.Split(' ')[2]).Order());
        Assert.DoesNotContain(lines, l => l == "pid =  " + parentPid);
    }
}
