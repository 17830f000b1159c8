using System.Globalization;

namespace Plexus.Lab.Bench;

/// <summary>
/// Reads a process tree's CPU time and resident memory from <c>/proc</c>: a server and all its
/// descendants (prefork workers, per-connection children), so multi-process models are charged in full.
/// </summary>
internal static class ProcessTree
{
    /// <summary>Kernel clock ticks per second for <c>/proc/*/stat</c> times (USER_HZ, 100 on Linux).</summary>
    private const double TicksPerSecond = 100;

    public static List<int> WithDescendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || Stat(pid) is not { } stat)
            {
                continue;
            }
            int ppid = int.Parse(stat[1], CultureInfo.InvariantCulture);
            if (!children.TryGetValue(ppid, out List<int>? list))
            {
                children[ppid] = list = [];
            }
            list.Add(pid);
        }
        var all = new List<int> { root };
        for (int i = 0; i < all.Count; i++)
        {
            if (children.TryGetValue(all[i], out List<int>? list))
            {
                all.AddRange(list);
            }
        }
        return all;
    }

    /// <summary>utime + stime of the tree, in seconds (children already reaped are not counted).</summary>
    public static double CpuSeconds(int root)
    {
        long ticks = 0;
        foreach (int pid in WithDescendants(root))
        {
            if (Stat(pid) is { } stat)
            {
                // After the state field: ppid is [1]; utime and stime are fields 14 and 15 of the line.
                ticks += long.Parse(stat[11], CultureInfo.InvariantCulture) + long.Parse(stat[12], CultureInfo.InvariantCulture);
            }
        }
        return ticks / TicksPerSecond;
    }

    /// <summary>Sum of VmRSS over the tree, in bytes.</summary>
    public static long RssBytes(int root)
    {
        long kb = 0;
        foreach (int pid in WithDescendants(root))
        {
            try
            {
                foreach (string line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    {
                        kb += long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                        break;
                    }
                }
            }
            catch (IOException)
            {
                // The process exited while we read.
            }
        }
        return kb * 1024;
    }

    /// <summary>
    /// Packets the kernel dropped because a CPU's input backlog was full (second column of
    /// <c>/proc/net/softnet_stat</c>, summed over CPUs). On loopback a drop costs a TCP retransmit
    /// (200 ms or more), so the bench reports it beside each cell.
    /// </summary>
    public static long SoftnetDrops()
    {
        long drops = 0;
        foreach (string line in File.ReadLines("/proc/net/softnet_stat"))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 1)
            {
                drops += long.Parse(fields[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }
        return drops;
    }

    /// <summary>The fields of <c>/proc/pid/stat</c> after the command name: [0] state, [1] ppid, ...</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            string text = File.ReadAllText($"/proc/{pid}/stat");
            int close = text.LastIndexOf(')');
            return text[(close + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
