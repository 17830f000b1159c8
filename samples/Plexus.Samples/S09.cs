using Plexus.Processes;

namespace Plexus.Samples;

/// <summary>Seed S9: a manager process serves a dict and a list that ten child processes write to.</summary>
internal static class S09
{
    public static int Run(string[] args)
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        ManagedList l = manager.CreateList();
        Console.WriteLine($"parent pid = {Environment.ProcessId}");
        Console.WriteLine($"dict = {d}, list = {l}");
        List<ChildProcess> children = [];
        try
        {
            for (int i = 0; i < 10; i++)
            {
                children.Add(ChildProcess.Create(F, i, d, l).Start());
            }
            foreach (ChildProcess child in children)
            {
                child.Join();
            }
            Console.WriteLine(Show.Py(d.Items()));
            Console.WriteLine(Show.Py(l.ToList()));
            return children.All(c => c.ExitCode == 0) ? 0 : 1;
        }
        finally
        {
            foreach (ChildProcess child in children)
            {
                child.Dispose();
            }
        }
    }

    private static void F(int index, ManagedDictionary d, ManagedList l)
    {
        d[1] = "1";
        d["2"] = 2;
        d[0.25] = null;
        l.Add(new Dictionary<object, object?> { ["pid"] = Environment.ProcessId, ["ppid"] = ProcessInfo.ParentPid });
        Console.WriteLine($"process {index}: dict = {d}, list = {l}");
    }
}
