using System.Diagnostics;
using System.Reflection;

namespace Plexus.Processes.Tests;

/// <summary>Runs the built samples app as a separate process and captures its output.</summary>
internal static class SampleRunner
{
    public static string SamplesDll
    {
        get
        {
            string configuration = typeof(SampleRunner).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
            string dll = Path.Combine(Repository.Root, "samples", "Plexus.Samples", "bin", configuration, "net10.0", "Plexus.Samples.dll");
            Assert.True(File.Exists(dll), $"build the samples first: {dll} is missing");
            return dll;
        }
    }

    public static Process Start(string sample)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(SamplesDll);
        info.ArgumentList.Add(sample);
        // The test host's own startup hook settings must not leak into the sample.
        info.Environment.Remove("DOTNET_STARTUP_HOOKS");
        return Process.Start(info)!;
    }

    public static (int ExitCode, string Output) Run(string sample, TimeSpan timeout)
    {
        using Process p = Start(sample);
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Assert.Fail($"sample {sample} did not finish within {timeout}");
        }
        p.WaitForExit();
        string output = stdout.GetAwaiter().GetResult();
        Assert.True(p.ExitCode == 0, $"sample {sample} exited {p.ExitCode}: {output}{stderr.GetAwaiter().GetResult()}");
        return (p.ExitCode, output);
    }

    public static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
