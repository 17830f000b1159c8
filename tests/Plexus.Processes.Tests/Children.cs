namespace Plexus.Processes.Tests;

/// <summary>Runs a batch of child processes that must all succeed, and leaves none behind whatever happens.</summary>
internal static class Children
{
    public static void RunAll(int count, Func<int, ChildProcess> start)
    {
        var children = new List<ChildProcess>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                children.Add(start(i));
            }
            foreach (ChildProcess child in children)
            {
                Assert.True(child.Join(TimeSpan.FromMinutes(2)), $"{child} did not finish within 2 minutes");
                Assert.True(child.ExitCode == 0, $"{child} failed: {child.Error?.Message}");
            }
        }
        finally
        {
            children.ForEach(c => c.Dispose());
        }
    }
}
