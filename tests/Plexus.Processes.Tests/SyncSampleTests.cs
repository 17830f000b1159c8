using System.Diagnostics;

namespace Plexus.Processes.Tests;

public class SyncSampleTests
{
    [Fact]
    public void S07_parent_gets_the_childs_list_exactly()
    {
        string[] lines = RunSample("s07");
        Assert.Equal("[11, None, 'hello']", lines[^1]);
        string Id(string tag) => Assert.Single(lines, l => l.StartsWith(tag + " ", StringComparison.Ordinal))[4..];
        Assert.Equal(Id("111"), Id("444"));
        Assert.Equal(Id("222"), Id("333"));
    }

    [Fact]
    public void S10_blocks_never_interleave()
    {
        string[] lines = RunSample("s10");
        Assert.Equal(40, lines.Length);
        var seen = new HashSet<string>();
        for (int b = 0; b < 10; b++)
        {
            string first = lines[b * 4];
            Assert.StartsWith("this is process ", first, StringComparison.Ordinal);
            string i = first["this is process ".Length..].Split(' ')[0];
            Assert.Equal($"this is process {i} acquire lock.", first);
            Assert.Equal($"this is process {i}.", lines[b * 4 + 1]);
            Assert.Equal($"this is process {i} release lock.", lines[b * 4 + 2]);
            Assert.Equal("================", lines[b * 4 + 3]);
            Assert.True(seen.Add(i));
        }
    }

    private static string[] RunSample(string name)
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Plexus.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Plexus.slnx not found above the test directory");
        }
        string dll = Path.Combine(root, "samples/Plexus.Samples/bin/Release/net10.0/Plexus.Samples.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add(name);
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{name} did not finish");
        }
        Assert.Equal(0, process.ExitCode);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
