using System.Collections.Concurrent;

namespace Plexus.Processes.Tests;

public class ProcessFaultTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(30);

    [Fact]
    public void Starting_twice_throws_InvalidOperationException()
    {
        using ChildProcess child = ChildProcess.Create(ChildProcessTests.Nothing).Start();
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => child.Start());
        Assert.Contains("already started", e.Message, StringComparison.Ordinal);
        Assert.True(child.Join(s_long));
    }

    [Fact]
    public void Pid_before_start_throws_and_after_dispose_stays()
    {
        var child = ChildProcess.Create(ChildProcessTests.Nothing);
        AssertNotStarted(child);
        child.Start();
        int pid = child.Pid;
        Assert.NotEqual(Environment.ProcessId, pid);
        child.Dispose();
        Assert.Equal(pid, child.Pid);
        Assert.Throws<ObjectDisposedException>(() => child.Join(s_long));
    }

    [Fact]
    public void Join_before_start_throws_InvalidOperationException()
    {
        using ChildProcess child = ChildProcess.Create(ChildProcessTests.Nothing);
        Assert.Throws<InvalidOperationException>(() => child.Join(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Daemon_child_runs_and_keeps_its_flag()
    {
        using ChildProcess child = ChildProcess.Create(ChildProcessTests.Nothing);
        Assert.False(child.IsDaemon);
        child.IsDaemon = true;
        child.Start();
        Assert.True(child.IsDaemon);
        Assert.True(child.Join(s_long));
        Assert.Equal(0, child.ExitCode);
    }

    [Fact]
    public void A_capturing_lambda_target_is_refused_naming_the_variable()
    {
        int capturedCounter = 5;
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(
            () => ChildProcess.Create(() => Console.WriteLine(capturedCounter)).Start().Dispose());
        Assert.Contains(nameof(capturedCounter), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_instance_method_target_is_refused()
    {
        var holder = new Holder();
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(
            () => ChildProcess.Create(holder.Instance).Start().Dispose());
        Assert.Contains(nameof(Holder.Instance), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_BlockingCollection_argument_is_refused_at_start_naming_it()
    {
        using var queue = new BlockingCollection<int>();
        using ChildProcess child = ChildProcess.Create(TakesQueue, queue);
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => child.Start());
        AssertNamesArgument(e, "queue", "BlockingCollection");
        AssertNotStarted(child);
    }

    [Fact]
    public void A_Thread_argument_is_refused_at_start_naming_it()
    {
        var thread = new Thread(() => { });
        using ChildProcess child = ChildProcess.Create(TakesThread, thread);
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => child.Start());
        AssertNamesArgument(e, "worker", "Thread");
        AssertNotStarted(child);
    }

    [Fact]
    public void A_capturing_lambda_argument_is_refused_at_start_naming_it()
    {
        int local = 3;
        Action callback = () => Console.WriteLine(local);
        using ChildProcess child = ChildProcess.Create(TakesAction, callback);
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => child.Start());
        AssertNamesArgument(e, "callback", "Action");
        AssertNotStarted(child);
    }

    private static void AssertNotStarted(ChildProcess child)
    {
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => child.Pid);
        Assert.Contains("not been started", e.Message, StringComparison.Ordinal);
    }

    private static void AssertNamesArgument(ArgumentException e, string argument, string typeName)
    {
        Assert.Contains(argument, e.Message, StringComparison.Ordinal);
        Assert.Contains(typeName, e.Message, StringComparison.Ordinal);
        // A fix is offered: the message is more than the bare facts.
        Assert.True(e.Message.Length > argument.Length + typeName.Length + 40, e.Message);
    }

    private static void TakesQueue(BlockingCollection<int> queue) => queue.Add(1);
    private static void TakesThread(Thread worker) => worker.Start();
    private static void TakesAction(Action callback) => callback();

    private sealed class Holder
    {
        private int _calls;
        public void Instance() => _calls++;
    }
}
