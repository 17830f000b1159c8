using System.Globalization;

namespace Plexus.Processes.Tests;

/// <summary>The process table as /proc shows it: who is alive, and a process's live children.</summary>
internal static class Procs
{
    /// <summary>Running or sleeping; a zombie has already ended.</summary>
    public static bool Alive(int pid) => Stat(pid) is { } s && s.State is not ('Z' or 'X');

    /// <summary>The live children of <paramref name="parent"/>.</summary>
    public static int[] ChildrenOf(int parent) =>
    [
        .. Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : 0)
            .Where(pid => pid > 0 && Stat(pid) is { } s && s.Parent == parent && s.State is not ('Z' or 'X')),
    ];

    private static (char State, int Parent)? Stat(int pid)
    {
        try
        {
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
