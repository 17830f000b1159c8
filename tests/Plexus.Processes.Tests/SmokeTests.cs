using Plexus.Processes;

namespace Plexus.Processes.Tests;

public class SmokeTests
{
    [Fact]
    public void Child_runs_a_test_assembly_method_and_reports_its_exception()
    {
        using ChildProcess child = ChildProcess.Create(Throw, "boom").Start();
        Assert.True(child.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, child.ExitCode);
        Assert.NotNull(child.Error);
        Assert.Equal(typeof(InvalidOperationException).FullName, child.Error!.RemoteType);
        Assert.Equal("boom", child.Error.RemoteMessage);
        Assert.Contains(nameof(Throw), child.Error.RemoteStackTrace);
    }

    private static void Throw(string message) => throw new InvalidOperationException(message);
}
