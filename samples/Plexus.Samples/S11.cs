using Plexus.Processes;

namespace Plexus.Samples;

/// <summary>
/// Seed S11: <c>Pool(5)</c>; <c>apply</c> runs the ten tasks one after another, <c>apply_async</c>
/// runs them in parallel; then <c>close</c> and <c>join</c>. (Sleeps are 0.2 s instead of the seed's 1 s.)
/// </summary>
internal static class S11
{
    public static int Run(string[] args)
    {
        Console.WriteLine("apply:");
        using (var pool = new ProcessPool(5))
        {
            Console.WriteLine("start");
            for (int i = 0; i < 10; i++)
            {
                pool.Apply(Foo, i);
            }
            Console.WriteLine("end");
            pool.Close();
            pool.Join();
        }
        Console.WriteLine("apply_async:");
        using (var pool = new ProcessPool(5))
        {
            Console.WriteLine("start");
            for (int i = 0; i < 10; i++)
            {
                pool.ApplyAsync(Foo, i);
            }
            Console.WriteLine("end");
            pool.Close();
            // Like Python's join: waits for the queued tasks; without it the pool would be terminated at once.
            pool.Join();
        }
        return 0;
    }

    private static int Foo(int i)
    {
        Thread.Sleep(200);
        Console.WriteLine($"pid =  {Environment.ProcessId}");
        return i + 100;
    }
}
