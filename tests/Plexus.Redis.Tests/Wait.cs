namespace Plexus.Redis.Tests;

/// <summary>Waits for conditions, never for fixed times.</summary>
internal static class Wait
{
    public static void Until(Func<bool> condition, TimeSpan timeout, string what)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} within {timeout.TotalSeconds} s");
            }
            Thread.Sleep(20);
        }
    }

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} within {timeout.TotalSeconds} s");
            }
            await Task.Delay(50);
        }
    }
}
