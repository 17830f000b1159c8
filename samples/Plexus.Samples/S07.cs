using System.Runtime.CompilerServices;
using Plexus.Processes;

namespace Plexus.Samples;

/// <summary>
/// Seed S7: a process queue. The child puts <c>[11, None, 'hello']</c> and the parent gets it. Each
/// process prints its own object's identity (as Python's <c>id(q)</c>): the same queue, two objects.
/// </summary>
internal static class S07
{
    public static int Run(string[] args)
    {
        using var q = new ProcessQueue();
        Console.WriteLine($"111 {RuntimeHelpers.GetHashCode(q)}");
        using ChildProcess child = ChildProcess.Create(F, q).Start();
        Console.WriteLine($"444 {RuntimeHelpers.GetHashCode(q)}");
        object? item = q.Get();
        // The child prints 333 right after its Put, racing this print; waiting for it first gives the seed's order every time.
        child.Join();
        Console.WriteLine(Show.Py(item));
        return child.ExitCode ?? 1;
    }

    private static void F(ProcessQueue q)
    {
        Console.WriteLine($"222 {RuntimeHelpers.GetHashCode(q)}");
        q.Put(new object?[] { 11, null, "hello" });
        Console.WriteLine($"333 {RuntimeHelpers.GetHashCode(q)}");
    }
}
