namespace Plexus.Processes.Tests;

/// <summary>
/// A log several child processes write at once: each process appends to its own file beside
/// <c>path</c> (appends from two processes to one file can overwrite each other's lines), and the
/// test reads them all.
/// </summary>
internal static class ProcessLog
{
    public static void Append(string path, string line) =>
        File.AppendAllText($"{path}.{Environment.ProcessId}", line + Environment.NewLine);

    public static string[] ReadLines(string path) =>
        [.. Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + ".*").SelectMany(File.ReadAllLines)];

    public static void Delete(string path)
    {
        foreach (string file in Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + ".*"))
        {
            File.Delete(file);
        }
    }
}
