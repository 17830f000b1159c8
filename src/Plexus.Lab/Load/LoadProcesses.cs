using System.Diagnostics;
using System.Globalization;
using Plexus.Lab.Bench;

namespace Plexus.Lab.Load;

/// <summary>
/// <c>plexus load --processes P</c>: one process may hold only so many descriptors, so C100K needs
/// several load processes. Each is this program again (<c>plexus load</c> with its share of the
/// connections and the same source addresses); each writes its whole result to a file, and the
/// parent merges them.
/// </summary>
internal static class LoadProcesses
{
    /// <summary>Runs <paramref name="processes"/> load processes and merges what they measured.</summary>
    public static LoadResult Run(LoadOptions options, int processes, int sources)
    {
        string folder = Directory.CreateTempSubdirectory("plexus-load-").FullName;
        var children = new List<(Process Process, string File)>();
        try
        {
            for (int i = 0; i < processes; i++)
            {
                int share = options.Connections * (i + 1) / processes - options.Connections * i / processes;
                string file = Path.Combine(folder, $"part-{i}.json");
                children.Add((Start(options, share, sources, file), file));
            }
            Console.WriteLine($"plexus load: {processes} load processes (pids {string.Join(", ", children.Select(c => c.Process.Id))}), {sources} source address(es)");
            foreach ((Process process, string _) in children)
            {
                process.WaitForExit();
            }
            List<(Process Process, string File)> failed = [.. children.Where(c => !File.Exists(c.File))];
            if (failed.Count > 0)
            {
                throw new LabException($"{failed.Count} of {processes} load processes failed: {failed[0].Process.StandardError.ReadToEnd().Trim().Split('\n')[0]}");
            }
            return LoadResultFile.Merge(children.Select(c => c.File));
        }
        finally
        {
            foreach ((Process process, string _) in children)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
                process.Dispose();
            }
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Process Start(LoadOptions options, int connections, int sources, string file)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath ?? "dotnet",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        CultureInfo c = CultureInfo.InvariantCulture;
        List<string> args =
        [
            .. ServerProcess.SelfArguments(), "load",
            "--host", options.Host.ToString(), "--port", options.Port.ToString(c),
            "--connections", connections.ToString(c), "--size", options.Size.ToString(c),
            "--pattern", options.SeedPattern ? "seed" : "pingpong", "--threads", options.Threads.ToString(c),
            "--timeout", $"{options.Timeout.TotalMilliseconds.ToString("0", c)}ms",
            "--sources", sources.ToString(c), LoadCommand.ResultFileOption, file,
        ];
        args.AddRange(options.Messages is { } k
            ? ["--messages", k.ToString(c)]
            : ["--duration", $"{options.Duration!.Value.TotalMilliseconds.ToString("0", c)}ms"]);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start) ?? throw new LabException("could not start a load process");
        process.StandardOutput.BaseStream.CopyToAsync(Stream.Null); // its report is merged, not shown
        return process;
    }
}
