namespace Plexus.Processes.Tests;

public class ShareSampleTests
{
    [Fact]
    public void S25_a_lock_in_initArgs_a_lock_through_a_queue_and_a_pipe_end_through_a_pipe()
    {
        string[] lines = SampleRunner.Lines(SampleRunner.Run("s25", TimeSpan.FromMinutes(3)).Output);
        Assert.Equal("total = 4000", lines[0]);
        Assert.StartsWith("child ", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("took the parent's lock and answers on a pipe end it was sent", lines[1], StringComparison.Ordinal);
    }
}
