using Plexus.Processes;

namespace Plexus.Samples;

/// <summary>Seed S1: six processes each sleep 2 s and print "hello world"; they run side by side (about 2 s, not 12).</summary>
internal static class S01
{
    public static int Run(string[] args)
    {
        var children = new List<ChildProcess>();
        for (int i = 0; i < 6; i++)
        {
            children.Add(ChildProcess.Create(Greet, "world").Start());
        }
        foreach (ChildProcess child in children)
        {
            child.Join();
            child.Dispose();
        }
        return 0;
    }

    private static void Greet(string name)
    {
        Thread.Sleep(2000);
        Console.WriteLine($"hello {name}");
    }
}
