namespace Plexus.Faults;

/// <summary>What /proc says about a process: its descriptors, children, state and size.</summary>
internal static class ProcFs
{
    /// <summary>Open descriptors of <paramref name="pid"/>, or -1 if it is gone.</summary>
    public static int FdCount(int pid)
    {
        try
        {
            return Directory.GetFiles($"/proc/{pid}/fd").Length;
        }
        catch (Exception e) when (e is DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            return -1;
        }
    }

    /// <summary>What each open descriptor of <paramref name="pid"/> points at (socket:[n], pipe:[n], /memfd:...).</summary>
    public static Dictionary<int, string> FdTargets(int pid)
    {
        var targets = new Dictionary<int, string>();
        try
        {
            foreach (string link in Directory.GetFiles($"/proc/{pid}/fd"))
            {
                try
                {
                    targets[int.Parse(Path.GetFileName(link), System.Globalization.CultureInfo.InvariantCulture)] = new FileInfo(link).LinkTarget ?? "?";
                }
                catch (IOException)
                {
                    // closed while listed
                }
            }
        }
        catch (Exception e) when (e is DirectoryNotFoundException or IOException)
        {
        }
        return targets;
    }

    /// <summary>The state letter (R, S, D, T, Z...) of <paramref name="pid"/> and its parent, or null if it is gone.</summary>
    public static (char State, int Parent)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null;
        }
        // The command name may hold spaces and parentheses: the fields after it start after the last ')'.
        string[] rest = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (rest[0][0], int.Parse(rest[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>True while <paramref name="pid"/> exists and is not a zombie.</summary>
    public static bool IsRunning(int pid) => Stat(pid) is { State: not 'Z' and not 'X' };

    /// <summary>Every live process whose ancestry includes <paramref name="root"/> (not <paramref name="root"/> itself).</summary>
    public static HashSet<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out int pid) && Stat(pid) is { } stat)
            {
                parents[pid] = stat.Parent;
            }
        }
        var result = new HashSet<int>();
        bool grew = true;
        while (grew)
        {
            grew = false;
            foreach ((int pid, int parent) in parents)
            {
                if ((parent == root || result.Contains(parent)) && result.Add(pid))
                {
                    grew = true;
                }
            }
        }
        return result;
    }

    /// <summary>Resident set in KiB and thread count from /proc/<paramref name="pid"/>/status, or null if it is gone.</summary>
    public static (long RssKiB, int Threads)? Size(int pid)
    {
        try
        {
            long rss = 0;
            int threads = 0;
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = int.Parse(line[8..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            return (rss, threads);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null;
        }
    }

    /// <summary>CPU time (user + system) of <paramref name="pid"/> in clock ticks, or -1 if it is gone.</summary>
    public static long CpuTicks(int pid)
    {
        try
        {
            string text = File.ReadAllText($"/proc/{pid}/stat");
            string[] rest = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(rest[11], System.Globalization.CultureInfo.InvariantCulture)
                + long.Parse(rest[12], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return -1;
        }
    }
}
