using System.Diagnostics;
using System.Globalization;

namespace Plexus.Lab.Tests;

/// <summary>SIGTERM stops a multi-process server cleanly and leaves no child behind.</summary>
public sealed class ShutdownTests
{
    [Theory]
    [InlineData("prefork", 2)]
    [InlineData("processes", 8)]
    public void Sigterm_stops_the_server_and_every_child(string model, int minimumChildren)
    {
        int port = LabProcess.FreePort();
        using LabProcess server = LabProcess.Serve(model, port, "--workers", "2");
        // Open connections that stay busy, so the processes model has a child per connection.
        using LabProcess load = LabProcess.Start("load", "--port", port.ToString(CultureInfo.InvariantCulture), "--connections", "8", "--duration", "60s");
        List<int> children = [];
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60) && children.Count < minimumChildren)
        {
            Thread.Sleep(100);
            children = server.Descendants();
        }
        Assert.True(children.Count >= minimumChildren, $"only {children.Count} children appeared:\n{server.Output}");

        server.Terminate();
        Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("stopped; served", server.Stdout.Last(), StringComparison.Ordinal);
        clock.Restart();
        while (clock.Elapsed < TimeSpan.FromSeconds(10) && children.Any(LabProcess.IsRunning))
        {
            Thread.Sleep(100);
        }
        Assert.DoesNotContain(children, LabProcess.IsRunning);
        // The load sees the server go away: it ends on its own with errors, not at its 60 s duration.
        Assert.NotEqual(0, load.WaitForExit(TimeSpan.FromSeconds(30)));
    }
}
