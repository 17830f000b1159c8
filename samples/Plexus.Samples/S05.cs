using Plexus.Processes;

namespace Plexus.Samples;

/// <summary>
/// Seed S5: a child cannot see the parent's data. The seed's child fails with NameError; in .NET the
/// child's copy of a static field is simply unset, because the child has its own memory.
/// </summary>
internal static class S05
{
    private static List<object?>? s_queue;

    public static int Run(string[] args)
    {
        List<object?> queue = s_queue = [];
        Console.WriteLine($"parent: the list is set ({(s_queue is null ? "null" : "an empty list")})");
        using ChildProcess child = ChildProcess.Create(F).Start();
        child.Join();
        Console.WriteLine($"parent: child exit code {child.ExitCode}; parent's list still has {queue.Count} items");
        return 0;
    }

    private static void F()
    {
        Console.WriteLine($"child: the list is {(s_queue is null ? "null: the child has its own memory and never saw the parent's value" : "set")}");
    }
}
