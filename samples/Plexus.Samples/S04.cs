using System.Collections.Concurrent;
using Plexus.Processes;

namespace Plexus.Samples;

/// <summary>
/// Seed S4: threads of one process share a queue (Python's <c>queue.Queue</c>, here a
/// <see cref="BlockingCollection{T}"/>). The same code run in child processes puts into each child's own
/// copy of the queue, so the parent's stays empty; a <see cref="ProcessQueue"/> handed to the children
/// is the one queue they all share.
/// </summary>
internal static class S04
{
    private const int Workers = 3;

    /// <summary>Each process has its own: the parent's and each child's are different objects in different memory.</summary>
    private static readonly BlockingCollection<object?> s_queue = [];

    public static int Run(string[] args)
    {
        Console.WriteLine("1. threads share the queue:");
        var threads = Enumerable.Range(0, Workers).Select(_ => new Thread(F)).ToList();
        threads.ForEach(t => t.Start());
        for (int i = 0; i < Workers; i++)
        {
            Console.WriteLine($"main thread got {Show.Py(s_queue.Take())}");
        }
        threads.ForEach(t => t.Join());

        Console.WriteLine("2. the same code in child processes:");
        RunChildren(() => ChildProcess.Create(FInChild));
        Console.WriteLine($"parent's queue holds {s_queue.Count} items: each child put into its own copy");

        Console.WriteLine("3. a ProcessQueue passed to the children:");
        using var shared = new ProcessQueue();
        RunChildren(() => ChildProcess.Create(FShared, shared));
        for (int i = 0; i < Workers; i++)
        {
            Console.WriteLine($"parent got {Show.Py(shared.Get())}");
        }
        return 0;
    }

    private static void RunChildren(Func<ChildProcess> create)
    {
        var children = Enumerable.Range(0, Workers).Select(_ => create().Start()).ToList();
        foreach (ChildProcess child in children)
        {
            child.Join();
            child.Dispose();
        }
    }

    private static void F() => s_queue.Add(new object?[] { 42, null, "hello" });

    private static void FInChild()
    {
        F();
        Console.WriteLine($"child {ProcessInfo.Pid}: its own queue holds {s_queue.Count} item");
    }

    private static void FShared(ProcessQueue q) => q.Put(new object?[] { 42, null, $"hello from {ProcessInfo.Pid}" });
}
