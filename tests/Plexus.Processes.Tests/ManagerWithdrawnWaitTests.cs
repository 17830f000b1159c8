namespace Plexus.Processes.Tests;

/// <summary>
/// A wait on a managed Event, Condition, Semaphore, RLock, Barrier or JoinableQueue that times out or
/// is cancelled is withdrawn in the manager: it never takes a later release, notify or item from the others.
/// </summary>
public sealed class ManagerWithdrawnWaitTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_semaphore_acquire_given_up_does_not_take_the_next_release()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedSemaphore s = manager.CreateSemaphore(0);
        Assert.False(s.TryAcquire(TimeSpan.FromMilliseconds(100)));
        using (CancellationTokenSource cts = new(TimeSpan.FromMilliseconds(100)))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => s.Acquire(cts.Token));
        }
        Assert.False(await s.TryAcquireAsync(TimeSpan.FromMilliseconds(100)));
        s.Release();
        // Had the manager kept a given-up acquire, the release would have gone to it.
        Assert.Equal(1, s.CurrentCount);
        Assert.True(s.TryAcquire());
    }

    [Fact]
    public async Task A_condition_wait_that_times_out_holds_the_lock_again_and_leaves_the_notify_to_a_live_waiter()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedCondition mine = manager.GetOrCreateCondition("c");
        using ProcessManager other = ProcessManager.Connect(manager.Address, manager.AuthKey);
        ManagedCondition theirs = other.GetOrCreateCondition("c");
        using (mine.Hold())
        {
            Assert.False(mine.Wait(TimeSpan.FromMilliseconds(100)));
            using CancellationTokenSource cts = new(TimeSpan.FromMilliseconds(100));
            Assert.ThrowsAny<OperationCanceledException>(() => mine.Wait(Timeout.InfiniteTimeSpan, cts.Token));
            // Still held after both: a release per acquire works, and no one else can take it meanwhile.
            Assert.False(theirs.TryAcquire(TimeSpan.Zero)); // another connection
        }
        using ManualResetEventSlim ready = new();
        Task<bool> waiter = Task.Run(() =>
        {
            using (theirs.Hold())
            {
                ready.Set();
                return theirs.Wait(TimeSpan.FromSeconds(30));
            }
        });
        Assert.True(ready.Wait(s_patience));
        // The lock is free again only once the other connection waits; one notify must reach it.
        using (mine.Hold())
        {
            mine.Notify();
        }
        Assert.True(await waiter.WaitAsync(s_patience));
    }

    [Fact]
    public async Task An_event_wait_given_up_ends_and_a_later_wait_sees_the_set()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedEvent e = manager.CreateEvent();
        Assert.False(e.Wait(TimeSpan.FromMilliseconds(100)));
        Assert.False(await e.WaitAsync(TimeSpan.FromMilliseconds(100)));
        using (CancellationTokenSource cts = new(TimeSpan.FromMilliseconds(100)))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => e.Wait(cts.Token));
        }
        e.Set();
        Assert.True(e.Wait(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void An_rlock_acquire_given_up_leaves_the_lock_to_the_next_taker()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedRLock mine = manager.GetOrCreateRLock("r");
        using ProcessManager other = ProcessManager.Connect(manager.Address, manager.AuthKey);
        ManagedRLock theirs = other.GetOrCreateRLock("r");
        mine.Acquire();
        Assert.False(theirs.TryAcquire(TimeSpan.FromMilliseconds(100)));
        using (CancellationTokenSource cts = new(TimeSpan.FromMilliseconds(100)))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => theirs.Acquire(cts.Token));
        }
        mine.Release();
        // Had the manager kept a given-up acquire, the release would have passed the lock to it.
        Assert.True(mine.TryAcquire());
        mine.Release();
    }

    [Fact]
    public async Task A_joinable_queue_get_given_up_leaves_the_item_and_a_barrier_wait_that_times_out_breaks_it()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedJoinableQueue q = manager.CreateJoinableQueue();
        Assert.False(q.TryGet(out _, TimeSpan.FromMilliseconds(100)));
        using (CancellationTokenSource cts = new(TimeSpan.FromMilliseconds(100)))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => q.Get(cts.Token));
        }
        q.Put("first");
        using (CancellationTokenSource cts = new(TimeSpan.FromMilliseconds(100)))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => q.Join(Timeout.InfiniteTimeSpan, cts.Token));
        }
        Assert.Equal("first", q.Get());
        q.TaskDone();
        q.Put("x");
        Assert.Equal(1, q.Count);
        Assert.Equal("x", q.Get());

        ManagedBarrier barrier = manager.CreateBarrier(3);
        Task<Exception?> other = Task.Run<Exception?>(() => Record.Exception(() => barrier.Wait(s_patience)));
        Assert.True(WaitUntil(() => barrier.WaitingCount == 1));
        Assert.Throws<ProcessBarrierBrokenException>(() => barrier.Wait(TimeSpan.FromMilliseconds(100)));
        Assert.IsType<ProcessBarrierBrokenException>(await other.WaitAsync(s_patience));
        Assert.True(barrier.IsBroken);
    }

    internal static bool WaitUntil(Func<bool> condition)
    {
        DateTime end = DateTime.UtcNow + s_patience;
        while (!condition())
        {
            if (DateTime.UtcNow > end)
            {
                return false;
            }
            Thread.Sleep(10);
        }
        return true;
    }
}
