namespace Plexus.Redis.Tests;

/// <summary>Tasks the tests send to workers; the workers load this assembly as their app.</summary>
public static class RedisTargets
{
    public static long Square(int x) => (long)x * x;

    public static bool Holds(Plexus.Processes.ProcessLock gate) => gate.IsLocked;

    public static int Add(int a, int b) => a + b;

    public static string Greet(string name) => "hello " + name;

    public static int Fail(string message) => throw new InvalidOperationException(message);

    /// <summary>Records its run in <paramref name="log"/>, then ends its own process: the task can never finish.</summary>
    public static int ExitProcess(string log)
    {
        File.AppendAllText(log, $"run {Environment.ProcessId}\n");
        Environment.Exit(3);
        return 0;
    }

    /// <summary>Records its start and end in <c>dir/log.PID</c>.</summary>
    public static int Record(string dir, int item) => Logged(dir, item, gated: false);

    /// <summary>Records its start in <c>dir/log.PID</c>, waits until <c>dir/gate</c> exists, records its end.</summary>
    public static int RecordGated(string dir, int item) => Logged(dir, item, gated: true);

    private static int Logged(string dir, int item, bool gated)
    {
        // One log per process: appends from two processes to one file can overwrite each other's lines.
        string log = Path.Combine(dir, $"log.{Environment.ProcessId}");
        File.AppendAllText(log, $"start {item} {Environment.ProcessId}\n");
        while (gated && !File.Exists(Path.Combine(dir, "gate")))
        {
            Thread.Sleep(10);
        }
        File.AppendAllText(log, $"done {item} {Environment.ProcessId}\n");
        return item;
    }

    public static int SlowSquare(int x)
    {
        Thread.Sleep(10);
        return x * x;
    }
}
