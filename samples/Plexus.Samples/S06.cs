using System.Collections.Concurrent;
using Plexus.Processes;

namespace Plexus.Samples;

/// <summary>
/// Seed S6: passing a thread queue to a process fails ("can't pickle _thread.lock objects"). Plexus
/// refuses it at Start with an error that names the argument, its type and the fix.
/// </summary>
internal static class S06
{
    public static int Run(string[] args)
    {
        using var q = new BlockingCollection<object?>();
        try
        {
            using ChildProcess child = ChildProcess.Create(F, q).Start();
            child.Join();
            Console.WriteLine("unexpected: the child started");
            return 1;
        }
        catch (ArgumentException e)
        {
            Console.WriteLine($"{e.GetType().Name}: {e.Message}");
            return 0;
        }
    }

    private static void F(BlockingCollection<object?> data) => data.Add(new object?[] { 11, null, "hello" });
}
