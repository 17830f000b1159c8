namespace Plexus.Processes.Tests;

/// <summary>
/// Python's idiom <c>p.start(); child_conn.close()</c>: what a child was handed stays its own even when
/// the parent closes or disposes its copy at once and the descriptor number is reused by the next object.
/// </summary>
public class LaunchHandoverTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromMinutes(2);

    [Fact]
    public void Closing_the_childs_end_right_after_start_keeps_each_child_on_its_own_pipe()
    {
        (Connection a1, Connection b1) = ProcessPipe.Create();
        using ChildProcess c1 = ChildProcess.Create(SendTag, b1, "from-child-1").Start();
        b1.Close();
        (Connection a2, Connection b2) = ProcessPipe.Create(); // takes b1's descriptor number
        using ChildProcess c2 = ChildProcess.Create(SendTag, b2, "from-child-2").Start();
        b2.Close();
        using (a1)
        using (a2)
        {
            Assert.True(a1.Poll(s_long), "child 1 sent nothing");
            Assert.Equal("from-child-1", a1.Receive<string>());
            Assert.True(a2.Poll(s_long), "child 2 sent nothing");
            Assert.Equal("from-child-2", a2.Receive<string>());
        }
        AssertExitedZero(c1);
        AssertExitedZero(c2);
    }

    [Fact]
    public void Many_children_whose_ends_are_closed_right_after_start_each_reply_on_their_own_pipe()
    {
        const int Count = 12;
        var parents = new List<Connection>();
        var children = new List<ChildProcess>();
        try
        {
            for (int i = 0; i < Count; i++)
            {
                (Connection mine, Connection theirs) = ProcessPipe.Create();
                parents.Add(mine);
                children.Add(ChildProcess.Create(SendTag, theirs, $"child-{i}").Start());
                theirs.Close();
            }
            for (int i = 0; i < Count; i++)
            {
                Assert.True(parents[i].Poll(s_long), $"child {i} sent nothing");
                Assert.Equal($"child-{i}", parents[i].Receive<string>());
            }
            children.ForEach(AssertExitedZero);
        }
        finally
        {
            children.ForEach(c => c.Dispose());
            parents.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public void A_queue_disposed_right_after_start_still_reaches_the_child()
    {
        var first = new ProcessQueue<string>();
        first.Put("first");
        (Connection reply, Connection childEnd) = ProcessPipe.Create();
        using (reply)
        {
            using ChildProcess child = ChildProcess.Create(EchoFromQueue, first, childEnd).Start();
            first.Dispose();
            using var second = new ProcessQueue<string>(); // takes the first queue's descriptor number
            second.Put("second");
            Assert.True(reply.Poll(s_long), "the child sent nothing");
            Assert.Equal("first", reply.Receive<string>());
            AssertExitedZero(child);
        }
    }

    [Fact]
    public void A_shared_value_and_its_lock_disposed_right_after_start_still_reach_the_child()
    {
        var value = new ProcessValue<int>(42);
        (Connection reply, Connection childEnd) = ProcessPipe.Create();
        using (reply)
        {
            using ChildProcess child = ChildProcess.Create(ReadValueUnderLock, value, childEnd).Start();
            value.Dispose();
            using var other = new ProcessValue<int>(7); // takes the first value's descriptor numbers
            Assert.True(reply.Poll(s_long), "the child sent nothing");
            Assert.Equal(42, reply.Receive<int>());
            AssertExitedZero(child);
        }
    }

    [Fact]
    public void A_connection_passed_to_start_is_moved_when_start_returns()
    {
        (Connection mine, Connection theirs) = ProcessPipe.Create();
        using (mine)
        {
            using ChildProcess child = ChildProcess.Create(SendTag, theirs, "moved").Start();
            Assert.True(theirs.IsClosed);
            ObjectDisposedException e = Assert.Throws<ObjectDisposedException>(() => theirs.Send("parent"));
            Assert.Contains("handed to", e.Message, StringComparison.Ordinal);
            theirs.Close(); // still safe, and a no-op
            Assert.Equal("moved", mine.Receive<string>());
            AssertExitedZero(child);
        }
    }

    [Fact]
    public void A_start_that_fails_leaves_a_connection_argument_usable_in_the_parent()
    {
        (Connection mine, Connection theirs) = ProcessPipe.Create();
        using (mine)
        using (theirs)
        {
            using ChildProcess child = ChildProcess.Create(TakesThread, theirs, new Thread(() => { }));
            Assert.ThrowsAny<ArgumentException>(() => child.Start());
            Assert.False(theirs.IsClosed);
            theirs.Send("still mine");
            Assert.Equal("still mine", mine.Receive<string>());
        }
    }

    internal static void AssertExitedZero(ChildProcess child)
    {
        Assert.True(child.Join(s_long), $"{child} did not exit");
        Assert.True(child.ExitCode == 0, $"{child} failed: {child.Error?.Message}");
    }

    private static void SendTag(Connection c, string tag)
    {
        using (c)
        {
            c.Send(tag);
        }
    }

    private static void EchoFromQueue(ProcessQueue<string> queue, Connection reply)
    {
        using (queue)
        using (reply)
        {
            reply.Send(queue.Get(TimeSpan.FromSeconds(30)));
        }
    }

    private static void ReadValueUnderLock(ProcessValue<int> value, Connection reply)
    {
        using (value)
        using (reply)
        {
            using (value.Lock!.Acquire())
            {
                reply.Send(value.Value);
            }
        }
    }

    private static void TakesThread(Connection c, Thread worker) => GC.KeepAlive((c, worker));
}
