using Plexus.Native;

namespace Plexus.Processes.Tests;

public record Point(int X, string Label);

public class Poco
{
    public int Id { get; set; }
    public string? Name { get; set; }
    public List<int> Values { get; set; } = [];
}

public class ChildProcessTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(30);
    private static int s_setByParent;

    [Fact]
    public void Start_join_exit_code_pid_and_name()
    {
        using ChildProcess child = ChildProcess.Create(Nothing);
        child.Name = "worker-7";
        Assert.Throws<InvalidOperationException>(() => child.Pid);
        child.Start();
        Assert.NotEqual(Environment.ProcessId, child.Pid);
        Assert.True(child.Join(s_long));
        Assert.False(child.IsAlive);
        Assert.Equal(0, child.ExitCode);
        Assert.Equal("worker-7", child.Name);
    }

    [Fact]
    public void Typed_arguments_reach_the_child_exactly()
    {
        (Connection parent, Connection childEnd) = ProcessPipe.Create();
        using (parent)
        {
            var point = new Point(5, "five");
            var poco = new Poco { Id = 9, Name = "nine", Values = [1, 2, 3] };
            var list = new List<int> { 4, 5, 6 };
            var dict = new Dictionary<string, int> { ["a"] = 1, ["b"] = 2 };
            object?[] mixed = [11, null, "hello", 2.5, true];
            using ChildProcess child = ChildProcess.Create(
                (Action<Connection, int, string, Point, Poco, List<int>, Dictionary<string, int>, object?[]>)EchoAll,
                childEnd, 42, "text", point, poco, list, dict, mixed).Start();
            Assert.Equal(42, parent.Receive<int>());
            Assert.Equal("text", parent.Receive<string>());
            Assert.Equal(point, parent.Receive<Point>());
            Poco back = parent.Receive<Poco>();
            Assert.Equal((poco.Id, poco.Name), (back.Id, back.Name));
            Assert.Equal(poco.Values, back.Values);
            Assert.Equal(list, parent.Receive<List<int>>());
            Assert.Equal(dict, parent.Receive<Dictionary<string, int>>());
            Assert.Equal(mixed, parent.Receive<object?[]>());
            Assert.True(child.Join(s_long));
            Assert.Equal(0, child.ExitCode);
        }
    }

    [Fact]
    public void ProcessInfo_in_the_child_and_static_state_not_rerun()
    {
        s_setByParent = 1234;
        (Connection parent, Connection childEnd) = ProcessPipe.Create();
        using (parent)
        {
            using ChildProcess child = ChildProcess.Create(ReportInfo, childEnd);
            child.Name = "info-child";
            child.Start();
            object?[] info = parent.Receive<object?[]>();
            Assert.Equal(true, info[0]);
            Assert.Equal("info-child", info[1]);
            Assert.Equal(Environment.ProcessId, info[2]);
            Assert.Equal(child.Pid, info[3]);
            Assert.Equal(0, info[4]);
            Assert.False(ProcessInfo.IsChild);
            Assert.Equal("MainProcess", ProcessInfo.Name);
            Assert.True(child.Join(s_long));
        }
    }

    [Fact]
    public void A_target_that_throws_reports_type_message_and_stack()
    {
        using ChildProcess child = ChildProcess.Create(Throw, "boom").Start();
        Assert.True(child.Join(s_long));
        Assert.Equal(1, child.ExitCode);
        Assert.NotNull(child.Error);
        Assert.Equal(typeof(InvalidOperationException).FullName, child.Error!.RemoteType);
        Assert.Equal("boom", child.Error.RemoteMessage);
        Assert.Contains(nameof(Throw), child.Error.RemoteStackTrace);
    }

    [Fact]
    public void Environment_exit_sets_the_exit_code()
    {
        using ChildProcess child = ChildProcess.Create(ExitWith, 3).Start();
        Assert.True(child.Join(s_long));
        Assert.Equal(3, child.ExitCode);
        Assert.Null(child.Error);
    }

    [Fact]
    public async Task Kill_while_parent_waits_in_join_gives_minus_9()
    {
        using ChildProcess child = ChildProcess.Create(Sleep, 60_000).Start();
        var joined = Task.Run(() => child.Join(s_long));
        Thread.Sleep(200);
        ProcessIds.Signal(child.Pid, ProcessIds.SigKill);
        Assert.True(await joined.WaitAsync(s_long));
        Assert.Equal(-9, child.ExitCode);
    }

    [Fact]
    public async Task Kill_while_parent_waits_in_receive_gives_end_of_stream()
    {
        (Connection parent, Connection childEnd) = ProcessPipe.Create();
        using (parent)
        {
            using ChildProcess child = ChildProcess.Create(HoldAndSleep, childEnd).Start();
            Assert.Equal("ready", parent.Receive<string>());
            var receiving = Task.Run(() => parent.Receive<int>());
            Thread.Sleep(100);
            child.Kill();
            // WaitAsync bounds the wait: a hang fails with TimeoutException instead of blocking the run.
            await Assert.ThrowsAsync<EndOfStreamException>(() => receiving.WaitAsync(s_long));
            Assert.True(child.Join(s_long));
            Assert.Equal(-9, child.ExitCode);
        }
    }

    [Fact]
    public void Terminate_gives_minus_15()
    {
        using ChildProcess child = ChildProcess.Create(Sleep, 60_000).Start();
        child.Terminate();
        Assert.True(child.Join(s_long));
        Assert.Equal(-15, child.ExitCode);
    }

    [Fact]
    public void Join_with_timeout_on_a_sleeping_child_returns_false()
    {
        using ChildProcess child = ChildProcess.Create(Sleep, 60_000).Start();
        try
        {
            Assert.False(child.Join(TimeSpan.FromMilliseconds(300)));
            Assert.True(child.IsAlive);
            Assert.Null(child.ExitCode);
        }
        finally
        {
            child.Kill();
        }
        Assert.True(child.Join(s_long));
        Assert.Equal(-9, child.ExitCode);
    }

    [Fact]
    public void Fifty_children_at_once_all_exit_zero()
    {
        var children = new List<ChildProcess>();
        try
        {
            for (int i = 0; i < 50; i++)
                children.Add(ChildProcess.Create(Nothing).Start());
            foreach (ChildProcess c in children)
            {
                Assert.True(c.Join(TimeSpan.FromSeconds(60)));
                Assert.Equal(0, c.ExitCode);
            }
        }
        finally
        {
            foreach (ChildProcess c in children) c.Dispose();
        }
    }

    internal static void Nothing() { }

    private static void EchoAll(Connection c, int i, string s, Point p, Poco poco, List<int> l, Dictionary<string, int> d, object?[] m)
    {
        using (c)
        {
            c.Send(i); c.Send(s); c.Send(p); c.Send(poco); c.Send(l); c.Send(d); c.Send(m);
        }
    }

    private static void ReportInfo(Connection c)
    {
        using (c)
            c.Send<object?[]>([ProcessInfo.IsChild, ProcessInfo.Name, ProcessInfo.ParentPid, ProcessInfo.Pid, s_setByParent]);
    }

    private static void Throw(string message) => throw new InvalidOperationException(message);
    private static void ExitWith(int code) => Environment.Exit(code);
    internal static void Sleep(int ms) => Thread.Sleep(ms);

    private static void HoldAndSleep(Connection c)
    {
        c.Send("ready");
        Thread.Sleep(60_000);
        GC.KeepAlive(c);
    }
}
