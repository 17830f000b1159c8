using System.Diagnostics;

namespace Plexus.Faults;

/// <summary>The assertions of a row, and waits on conditions with a stated bound (never a fixed sleep).</summary>
internal static class Check
{
    public static void That(bool condition, string failure)
    {
        if (!condition)
        {
            throw new FaultCheckException(failure);
        }
    }

    /// <summary>Polls <paramref name="condition"/> every 5 ms until it holds; fails naming <paramref name="what"/> after <paramref name="bound"/>.</summary>
    public static void Within(TimeSpan bound, Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > bound)
            {
                throw new FaultCheckException($"{what}: not within {bound.TotalMilliseconds:F0} ms");
            }
            Thread.Sleep(5);
        }
    }

    /// <summary>Waits for <paramref name="task"/> at most <paramref name="bound"/>; a hang is a failure naming <paramref name="what"/>.</summary>
    public static T Within<T>(TimeSpan bound, Task<T> task, string what)
    {
        if (!task.Wait(bound))
        {
            throw new FaultCheckException($"{what}: hung past {bound.TotalMilliseconds:F0} ms");
        }
        return task.Result;
    }

    /// <summary>A clear error is one line that names something: no multi-line dump, not empty.</summary>
    public static void Clear(Exception e, string what)
    {
        That(!string.IsNullOrWhiteSpace(e.Message) && !e.Message.Contains('\n', StringComparison.Ordinal),
            $"{what}: unclear error {e.GetType().Name}: '{e.Message}'");
    }
}
