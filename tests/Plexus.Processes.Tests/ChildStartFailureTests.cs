using System.Reflection;
using Plexus.Processes.Hosting;

namespace Plexus.Processes.Tests;

/// <summary>
/// A child that cannot run its target must say why to the parent (as <see cref="ChildProcess.Error"/>),
/// not only on its own standard error; what the parent can see in advance is refused at Start.
/// </summary>
public class ChildStartFailureTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromMinutes(2);

    [Fact]
    public void An_argument_over_the_launch_limit_is_refused_at_start_with_its_size_and_the_limit()
    {
        using ChildProcess child = ChildProcess.Create(Checksum, new byte[270 << 20], 0L);
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => child.Start());
        Assert.Equal("data", e.ParamName);
        Assert.Matches(@"at least 28311552\d bytes", e.Message); // the bytes and a MessagePack header
        Assert.Contains("268435456", e.Message, StringComparison.Ordinal);
        Assert.Contains("ProcessArray", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => child.Pid);
    }

    [Fact]
    public async Task A_launch_the_child_cannot_read_is_reported_to_the_parent()
    {
        var connected = new TaskCompletionSource<HostSpawner.Host>(TaskCreationOptions.RunContinuationsAsynchronously);
        HostSpawner.Host host = HostSpawner.Spawn();
        host.WhenConnected(h => connected.SetResult(h));
        try
        {
            ControlChannel channel = (await connected.Task.WaitAsync(s_long)).Channel!;
            channel.Send(new HelloMessage { Token = "not a launch", Pid = 1 });
            byte[]? frame = channel.Receive([]);
            Assert.True(frame is not null, "the child exited without saying why");
            ReportMessage report = ReportMessage.Read(frame);
            Assert.Equal(70, report.ExitCode);
            Assert.Equal(typeof(InvalidDataException).FullName, report.ErrorType);
            Assert.Contains("launch", report.ErrorMessage, StringComparison.Ordinal);
            Assert.True(host.Process.WaitForExit(s_long));
            channel.Dispose();
        }
        finally
        {
            host.Process.Dispose();
        }
    }

    [Fact]
    public void An_argument_the_child_cannot_rebuild_is_an_error_before_the_target()
    {
        using ChildProcess child = ChildProcess.Create(TakesFragile, new Fragile { Value = 7 }).Start();
        Assert.True(child.Join(s_long));
        Assert.Equal(70, child.ExitCode);
        ChildProcessException error = Assert.IsType<ChildProcessException>(child.Error);
        Assert.True(error.BeforeTarget);
        Assert.Contains("'fragile'", error.Message, StringComparison.Ordinal);
        Assert.Contains("not in a child", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_target_the_child_cannot_find_is_an_error_before_the_target()
    {
        Target target = Target.From(ChildProcessTests.Nothing, out ParameterInfo[] parameters) with { MetadataToken = 0x06FFFFF0 };
        using ChildProcess child = ChildProcess.Create(target, parameters).Start();
        Assert.True(child.Join(s_long));
        Assert.Equal(70, child.ExitCode);
        ChildProcessException error = Assert.IsType<ChildProcessException>(child.Error);
        Assert.True(error.BeforeTarget);
        Assert.Contains(nameof(ChildProcessTests.Nothing), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_target_from_another_build_is_an_error_before_the_target()
    {
        Target target = Target.From(ChildProcessTests.Nothing, out ParameterInfo[] parameters) with { ModuleVersionId = Guid.NewGuid() };
        using ChildProcess child = ChildProcess.Create(target, parameters).Start();
        Assert.True(child.Join(s_long));
        ChildProcessException error = Assert.IsType<ChildProcessException>(child.Error);
        Assert.True(error.BeforeTarget);
        Assert.Contains("different build", error.Message, StringComparison.Ordinal);
    }

    private static void Checksum(byte[] data, long sum) => GC.KeepAlive((data, sum));

    private static void TakesFragile(Fragile fragile) => GC.KeepAlive(fragile);

    /// <summary>Rebuilt field by field in the child, so what fails there is the type's own initializer.</summary>
    public sealed class Fragile
    {
        static Fragile()
        {
            if (ProcessInfo.IsChild)
            {
                throw new InvalidOperationException("Fragile is not in a child's reach");
            }
        }

        public int Value { get; set; }
    }
}
