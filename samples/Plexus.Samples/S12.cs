using Plexus.Processes;

namespace Plexus.Samples;

/// <summary>
/// Seed S12: <c>apply_async(func=Foo, args=(i,), callback=Bar)</c>; the callback runs in the parent
/// (it prints the parent's pid) with each result. (Sleeps are 0.2 s instead of the seed's 1 s.)
/// </summary>
internal static class S12
{
    public static int Run(string[] args)
    {
        using var pool = new ProcessPool(5);
        Console.WriteLine(Environment.ProcessId);
        Console.WriteLine("start");
        for (int i = 0; i < 10; i++)
        {
            pool.ApplyAsync(Foo, i, callback: Bar);
        }
        Console.WriteLine("end");
        pool.Close();
        pool.Join();
        return 0;
    }

    private static int Foo(int i)
    {
        Thread.Sleep(200);
        Console.WriteLine($"pid =  {Environment.ProcessId}");
        return i + 100;
    }

    private static void Bar(int arg) => Console.WriteLine($"-->exec done: {arg} {Environment.ProcessId}");
}
