namespace Plexus.Processes.Tests;

/// <summary>Dispose racing a use, and cancellation of blocking calls.</summary>
public class SyncDisposalTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(30);

    [Fact]
    public void Dispose_wakes_a_thread_blocked_in_Get_with_ObjectDisposedException()
    {
        var q = new ProcessQueue<int>();
        Exception? caught = BlockThenDispose("plexus-get", () => q.Get(), q.Dispose);
        Assert.IsType<ObjectDisposedException>(caught);
        Assert.Throws<ObjectDisposedException>(() => q.Put(1));
    }

    [Fact]
    public void Dispose_wakes_a_thread_blocked_in_Acquire_with_ObjectDisposedException()
    {
        var l = new ProcessLock();
        l.Acquire();
        Exception? caught = BlockThenDispose("plexus-acquire", () => l.Acquire(), l.Dispose);
        Assert.IsType<ObjectDisposedException>(caught);
    }

    [Fact]
    public void Dispose_wakes_a_thread_blocked_in_Event_Wait_with_ObjectDisposedException()
    {
        var e = new ProcessEvent();
        Assert.IsType<ObjectDisposedException>(BlockThenDispose("plexus-wait", () => e.Wait(), e.Dispose));
    }

    /// <summary>Runs <paramref name="block"/> on a named thread, waits until the kernel shows it asleep, disposes, and returns what it threw.</summary>
    private static Exception? BlockThenDispose(string threadName, Action block, Action dispose)
    {
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            try
            {
                block();
            }
            catch (Exception e)
            {
                caught = e;
            }
        })
        { Name = threadName, IsBackground = true };
        thread.Start();
        Assert.True(SpinWait.SpinUntil(() => IsSleeping(threadName), s_long), $"{threadName} never went to sleep");
        dispose();
        Assert.True(thread.Join(s_long), $"{threadName} stayed blocked after Dispose");
        return caught;
    }

    /// <summary>Whether the thread of this process named <paramref name="name"/> sleeps in the kernel (state S in /proc).</summary>
    private static bool IsSleeping(string name)
    {
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                int open = stat.IndexOf('(', StringComparison.Ordinal);
                int close = stat.LastIndexOf(')');
                if (stat[(open + 1)..close] == name[..Math.Min(name.Length, 15)] && stat[close + 2] == 'S')
                {
                    return true;
                }
            }
            catch (IOException)
            {
                // the task ended meanwhile
            }
        }
        return false;
    }

    [Fact]
    public void Blocking_calls_give_up_when_their_token_fires()
    {
        using var q = new ProcessJoinableQueue<int>();
        using var l = new ProcessLock();
        using var e = new ProcessEvent();
        using var sem = new ProcessSemaphore(0);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        Assert.ThrowsAny<OperationCanceledException>(() => q.Get(cts.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => q.TryGet(out _, Timeout.InfiniteTimeSpan, cts.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => e.Wait(cts.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => sem.Acquire(cts.Token));
        q.Put(1);
        Assert.ThrowsAny<OperationCanceledException>(() => q.Join(cts.Token));
        using var full = new ProcessQueue<int>(maxSize: 1);
        full.Put(1);
        Assert.ThrowsAny<OperationCanceledException>(() => full.Put(2, cts.Token));
        l.Acquire();
        Exception? fromOther = null;
        var t = new Thread(() => fromOther = Record(() => l.Acquire(cts.Token)));
        t.Start();
        Assert.True(t.Join(s_long));
        Assert.IsAssignableFrom<OperationCanceledException>(fromOther);
        l.Release();
    }

    [Fact]
    public void A_token_cancelled_while_sleeping_wakes_the_sleeper_at_once()
    {
        using var q = new ProcessQueue<int>();
        using var cts = new CancellationTokenSource();
        Exception? caught = null;
        var thread = new Thread(() => caught = Record(() => q.Get(cts.Token))) { Name = "plexus-cancel", IsBackground = true };
        thread.Start();
        Assert.True(SpinWait.SpinUntil(() => IsSleeping("plexus-cancel"), s_long));
        cts.Cancel();
        Assert.True(thread.Join(s_long));
        Assert.IsAssignableFrom<OperationCanceledException>(caught);
        Assert.Equal(0, q.Count);
        q.Put(7);
        Assert.Equal(7, q.Get(TimeSpan.Zero));
    }

    private static Exception? Record(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
