using System.Diagnostics;

namespace Plexus.Package.Tests;

/// <summary>Runs the dotnet CLI (or a built program) and returns its exit code and output.</summary>
internal static class Dotnet
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // The test host's own settings must not reach what it starts.
        info.Environment.Remove("DOTNET_STARTUP_HOOKS");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using Process p = Process.Start(info)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
            Assert.Fail($"{fileName} {string.Join(' ', args)} did not finish within {timeout}:\n{await stdout}{await stderr}");
        }
        return (p.ExitCode, await stdout + await stderr);
    }

    public static async Task<string> MustRunAsync(string fileName, string workingDirectory, TimeSpan timeout, params string[] args)
    {
        (int code, string output) = await RunAsync(fileName, workingDirectory, timeout, args);
        Assert.True(code == 0, $"{fileName} {string.Join(' ', args)} exited {code}:\n{output}");
        return output;
    }
}
