using Plexus.Processes;

namespace Plexus.Samples;

/// <summary>Seed S2: each child prints "hello world", then starts a thread that prints its thread id.</summary>
internal static class S02
{
    public static int Run(string[] args)
    {
        var children = Enumerable.Range(0, 6).Select(_ => ChildProcess.Create(Greet, "world").Start()).ToList();
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
        // Python prints the OS thread id; /proc/thread-self names it.
        var thread = new Thread(() => Console.WriteLine(Path.GetFileName(new DirectoryInfo("/proc/thread-self").LinkTarget)));
        thread.Start();
        thread.Join();
    }
}
