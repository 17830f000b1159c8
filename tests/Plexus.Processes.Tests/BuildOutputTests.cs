using System.Diagnostics;

namespace Plexus.Processes.Tests;

/// <summary>The precompiled (ReadyToRun) build step puts its output where the user asked.</summary>
public class BuildOutputTests
{
    [Fact]
    public async Task A_build_with_an_artifacts_path_writes_nothing_into_the_source_tree()
    {
        string project = Path.Combine(Repository.Root, "src", "Plexus.Native");
        string artifacts = Directory.CreateTempSubdirectory("plexus-artifacts-").FullName;
        string[] before = Directory.GetFileSystemEntries(project);
        try
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in new[] { "build", project, "-c", "Release", "--artifacts-path", artifacts, "-nologo", "-v", "q" })
                info.ArgumentList.Add(arg);
            using Process build = Process.Start(info)!;
            Task<string> stderr = build.StandardError.ReadToEndAsync();
            string output = await build.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await build.WaitForExitAsync(timeout.Token);
            Assert.True(build.ExitCode == 0, output + await stderr);

            string[] added = Directory.GetFileSystemEntries(project).Except(before).ToArray();
            Assert.True(added.Length == 0, "the build wrote into the source tree: " + string.Join(", ", added));
            // The precompiled step did run, inside the artifacts folder.
            Assert.NotEmpty(Directory.GetDirectories(artifacts, "r2r", SearchOption.AllDirectories));
        }
        finally
        {
            Directory.Delete(artifacts, recursive: true);
        }
    }
}
