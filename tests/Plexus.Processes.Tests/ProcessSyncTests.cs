namespace Plexus.Processes.Tests;

public class ProcessSyncTests
{
    [Fact]
    public void Barrier_of_five_processes_releases_all_only_when_all_arrived()
    {
        const int Parties = 5;
        using var barrier = new ProcessBarrier(Parties);
        using var arrived = new ProcessValue<int>(0);
        using var results = new ProcessQueue<int[]>();
        var children = new List<ChildProcess>();
        try
        {
            for (int i = 0; i < Parties; i++)
            {
                children.Add(ChildProcess.Create(MeetAtBarrier, barrier, arrived, results).Start());
            }
            var indexes = new HashSet<int>();
            for (int i = 0; i < Parties; i++)
            {
                int[] r = results.Get(TimeSpan.FromSeconds(60));
                Assert.Equal(Parties, r[1]);  // every party had arrived before anyone passed
                indexes.Add(r[0]);
            }
            Assert.Equal(Enumerable.Range(0, Parties), indexes.Order());
        }
        finally
        {
            children.ForEach(c => c.Dispose());
        }
    }

    private static void MeetAtBarrier(ProcessBarrier barrier, ProcessValue<int> arrived, ProcessQueue<int[]> results)
    {
        Interlocked.Increment(ref arrived.Ref);
        int index = barrier.SignalAndWait(TimeSpan.FromSeconds(60));
        results.Put([index, Volatile.Read(ref arrived.Ref)]);
    }

    [Fact]
    public void Barrier_timeout_breaks_it()
    {
        using var barrier = new ProcessBarrier(2);
        Assert.Throws<ProcessBarrierBrokenException>(() => barrier.SignalAndWait(TimeSpan.FromMilliseconds(100)));
        Assert.True(barrier.IsBroken);
        Assert.Throws<ProcessBarrierBrokenException>(() => barrier.SignalAndWait(TimeSpan.FromSeconds(1)));
        barrier.Reset();
        Assert.False(barrier.IsBroken);
    }

    [Fact]
    public void Event_set_clear_wait_across_processes()
    {
        using var go = new ProcessEvent();
        using var results = new ProcessQueue<bool>();
        using ChildProcess child = ChildProcess.Create(WaitTwice, go, results).Start();
        Thread.Sleep(200);
        go.Set();
        Assert.True(results.Get(TimeSpan.FromSeconds(30)));  // woken by Set
        go.Clear();
        Assert.False(go.IsSet);
        Assert.False(results.Get(TimeSpan.FromSeconds(30)));  // after Clear, a short wait times out
        Assert.False(go.Wait(TimeSpan.FromMilliseconds(50)));
    }

    private static void WaitTwice(ProcessEvent go, ProcessQueue<bool> results)
    {
        results.Put(go.Wait(TimeSpan.FromSeconds(30)));
        while (go.IsSet)
        {
            Thread.Sleep(10);
        }
        results.Put(go.Wait(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public void Condition_notify_wakes_one_and_notify_all_wakes_the_rest()
    {
        using var cond = new ProcessCondition();
        using var waiting = new ProcessValue<int>(0, synchronized: false);
        using var woken = new ProcessQueue<int>();
        var children = new List<ChildProcess>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                children.Add(ChildProcess.Create(WaitOnCondition, cond, waiting, woken, i).Start());
            }
            WaitUntil(() =>
            {
                using (cond.Acquire())
                {
                    return waiting.Value == 3;
                }
            });
            using (cond.Acquire())
            {
                cond.Notify();
            }
            woken.Get(TimeSpan.FromSeconds(30));
            Assert.False(woken.TryGet(out _, TimeSpan.FromMilliseconds(500)));
            using (cond.Acquire())
            {
                cond.NotifyAll();
            }
            woken.Get(TimeSpan.FromSeconds(30));
            woken.Get(TimeSpan.FromSeconds(30));
            Assert.Throws<SynchronizationLockException>(() => cond.Notify());
        }
        finally
        {
            children.ForEach(c => c.Dispose());
        }
    }

    private static void WaitOnCondition(ProcessCondition cond, ProcessValue<int> waiting, ProcessQueue<int> woken, int id)
    {
        using (cond.Acquire())
        {
            waiting.Value++;
            if (!cond.Wait(TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException("no notify");
            }
        }
        woken.Put(id);
    }

    [Fact]
    public void Semaphore_times_out_and_bounded_semaphore_refuses_extra_release()
    {
        using var s = new ProcessSemaphore(1);
        Assert.True(s.TryAcquire());
        Assert.False(s.TryAcquire(TimeSpan.FromMilliseconds(100)));
        s.Release();
        using var b = new ProcessBoundedSemaphore(1);
        using (b.Acquire())
        {
            Assert.Equal(0, b.CurrentCount);
        }
        Assert.Throws<SemaphoreFullException>(() => b.Release());
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "condition not reached");
            Thread.Sleep(10);
        }
    }
}
