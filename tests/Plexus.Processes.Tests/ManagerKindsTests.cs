namespace Plexus.Processes.Tests;

/// <summary>The kinds a manager serves beside dict/list/queue/lock (Python's Manager()), each used across real processes.</summary>
public sealed class ManagerKindsTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromMinutes(2);

    private static void WaitThenReport(ManagedEvent e, ManagedQueue report)
    {
        report.Put("waiting");
        e.Wait();
        report.Put("woke");
    }

    [Fact]
    public void An_event_set_in_one_process_wakes_waiters_in_others()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedEvent e = manager.CreateEvent();
        ManagedQueue report = manager.CreateQueue();
        Assert.False(e.IsSet);
        Assert.False(e.Wait(TimeSpan.FromMilliseconds(50)));
        using ChildProcess a = ChildProcess.Create(WaitThenReport, e, report).Start();
        using ChildProcess b = ChildProcess.Create(WaitThenReport, e, report).Start();
        Assert.Equal("waiting", report.Next());
        Assert.Equal("waiting", report.Next());
        Assert.False(report.TryGet(out _, TimeSpan.FromMilliseconds(100)));
        e.Set();
        Assert.Equal("woke", report.Next());
        Assert.Equal("woke", report.Next());
        Assert.True(e.IsSet);
        Assert.True(e.Wait(TimeSpan.Zero));
        e.Clear();
        Assert.False(e.IsSet);
        Assert.True(a.Join(s_patience) && b.Join(s_patience));
        Assert.Equal(0, a.ExitCode);
    }

    private static void Consume(ManagedCondition c, ManagedDictionary d, ManagedQueue report)
    {
        using (c.Hold())
        {
            Assert.True(c.WaitFor(() => d.ContainsKey("ready"), TimeSpan.FromMinutes(2)));
            report.Put(d["ready"]);
        }
    }

    [Fact]
    public void A_condition_notified_in_one_process_wakes_a_waiter_in_another_holding_the_lock()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedCondition c = manager.CreateCondition();
        ManagedDictionary d = manager.CreateDictionary();
        ManagedQueue report = manager.CreateQueue();
        Assert.Throws<SynchronizationLockException>(() => c.Notify());
        Assert.Throws<SynchronizationLockException>(() => c.Wait(TimeSpan.Zero));
        using ChildProcess child = ChildProcess.Create(Consume, c, d, report).Start();
        using (c.Hold())
        {
            using (c.Hold())
            {
                d["ready"] = 42; // re-entrant: the condition's lock is an RLock
                c.NotifyAll();
            }
        }
        Assert.Equal(42, report.Next());
        Assert.True(child.Join(s_patience));
        Assert.True(child.ExitCode == 0, child.Error?.Message);
    }

    private static void TakePermit(ManagedSemaphore s, ManagedQueue report)
    {
        s.Acquire();
        report.Put("took");
    }

    [Fact]
    public void A_semaphore_counts_permits_across_processes_and_a_bounded_one_refuses_an_extra_release()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedSemaphore s = manager.CreateSemaphore(2);
        ManagedQueue report = manager.CreateQueue();
        Children.RunAll(2, _ => ChildProcess.Create(TakePermit, s, report).Start());
        Assert.Equal(0, s.CurrentCount);
        Assert.False(s.TryAcquire());
        using ChildProcess third = ChildProcess.Create(TakePermit, s, report).Start();
        Assert.Equal("took", report.Next());
        Assert.Equal("took", report.Next());
        Assert.False(report.TryGet(out _, TimeSpan.FromMilliseconds(100)));
        s.Release(3);
        Assert.Equal("took", report.Next());
        Assert.True(third.Join(s_patience));
        Assert.Equal(2, s.CurrentCount);

        ManagedSemaphore bounded = manager.CreateBoundedSemaphore(1);
        Assert.True(bounded.IsBounded);
        Assert.Throws<SemaphoreFullException>(() => bounded.Release());
        using (bounded.Hold())
        {
            Assert.False(bounded.TryAcquire(TimeSpan.FromMilliseconds(50)));
        }
        Assert.Equal(1, bounded.CurrentCount);
    }

    private static void ArriveAt(ManagedBarrier barrier, ManagedList indexes) => indexes.Add(barrier.Wait());

    [Fact]
    public void A_barrier_waits_for_every_party_then_answers_each_a_distinct_index()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedBarrier barrier = manager.CreateBarrier(4);
        ManagedList indexes = manager.CreateList();
        List<ChildProcess> children = [.. Enumerable.Range(0, 3).Select(_ => ChildProcess.Create(ArriveAt, barrier, indexes).Start())];
        try
        {
            int mine = barrier.Wait(s_patience);
            foreach (ChildProcess child in children)
            {
                Assert.True(child.Join(s_patience));
                Assert.True(child.ExitCode == 0, child.Error?.Message);
            }
            Assert.Equal([0, 1, 2, 3], indexes.Append(mine).Select(Convert.ToInt32).Order());
        }
        finally
        {
            children.ForEach(c => c.Dispose());
        }
        barrier.Abort();
        Assert.True(barrier.IsBroken);
        Assert.Throws<ProcessBarrierBrokenException>(() => barrier.Wait());
        barrier.Reset();
        Assert.False(barrier.IsBroken);
        Assert.Equal(0, barrier.WaitingCount);
    }

    private static void Square(ManagedArray<int> a, int i) => a[i] = i * i;

    [Fact]
    public void An_array_has_a_fixed_length_and_items_written_by_children()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedArray<int> a = manager.CreateArray(new int[5]);
        Assert.Equal(5, a.Count);
        Children.RunAll(5, i => ChildProcess.Create(Square, a, i).Start());
        Assert.Equal([0, 1, 4, 9, 16], a.ToArray());
        Assert.Equal([0, 1, 4, 9, 16], a);
        Assert.Throws<ArgumentOutOfRangeException>(() => a[5] = 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => a[-1]);
    }

    private static void Work(ManagedJoinableQueue q, ManagedList done)
    {
        while (q.Get() is int item)
        {
            done.Add(item);
            q.TaskDone();
        }
        q.TaskDone();
    }

    [Fact]
    public void A_joinable_queue_joins_once_every_item_a_child_took_is_done()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedJoinableQueue q = manager.CreateJoinableQueue();
        ManagedList done = manager.CreateList();
        Assert.True(q.Join(TimeSpan.Zero));
        for (int i = 0; i < 20; i++)
        {
            q.Put(i);
        }
        Assert.False(q.Join(TimeSpan.FromMilliseconds(50)));
        using ChildProcess worker = ChildProcess.Create(Work, q, done).Start();
        q.Join();
        Assert.Equal(20, done.Count);
        q.Put(null);
        Assert.True(worker.Join(s_patience));
        Assert.True(q.Join(s_patience));
        Assert.Throws<InvalidOperationException>(() => q.TaskDone());
    }

    private static void TryTake(ManagedRLock l, ManagedQueue report) => report.Put(l.TryAcquire());

    [Fact]
    public void An_rlock_is_held_by_one_thread_again_and_again_and_by_nobody_else()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedRLock l = manager.CreateRLock();
        ManagedQueue report = manager.CreateQueue();
        l.Acquire();
        Assert.True(l.TryAcquire());
        Assert.False(OnOtherThread(() => l.TryAcquire())); // another thread of this process
        Children.RunAll(1, _ => ChildProcess.Create(TryTake, l, report).Start());
        Assert.Equal(false, report.Next());
        l.Release();
        Assert.False(OnOtherThread(() => l.TryAcquire(TimeSpan.FromMilliseconds(50))));
        Assert.IsType<SynchronizationLockException>(OnOtherThread(() => Record.Exception(l.Release)));
        l.Release();
        Assert.Throws<SynchronizationLockException>(l.Release);
        Children.RunAll(1, _ => ChildProcess.Create(TryTake, l, report).Start());
        Assert.Equal(true, report.Next());
    }

    /// <summary>Runs <paramref name="f"/> on a thread of its own (a lock's owner is a thread) and waits for it.</summary>
    private static T OnOtherThread<T>(Func<T> f)
    {
        T result = default!;
        Thread t = new(() => result = f());
        t.Start();
        t.Join();
        return result;
    }

    [Fact]
    public void Proxies_of_the_new_kinds_stored_in_a_dictionary_come_back_as_their_own_types()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        d["e"] = manager.CreateEvent();
        d["c"] = manager.CreateCondition();
        d["s"] = manager.CreateBoundedSemaphore(3);
        d["b"] = manager.CreateBarrier(2);
        d["a"] = manager.CreateArray(new[] { 1, 2 });
        d["q"] = manager.CreateJoinableQueue();
        d["r"] = manager.CreateRLock();
        Assert.IsType<ManagedEvent>(d["e"]);
        Assert.IsType<ManagedCondition>(d["c"]);
        Assert.Equal(3, Assert.IsType<ManagedSemaphore>(d["s"]).CurrentCount);
        Assert.Equal(2, Assert.IsType<ManagedBarrier>(d["b"]).Parties);
        Assert.Equal(new object?[] { 1, 2 }, Assert.IsType<ManagedArray<object?>>(d["a"]).ToArray());
        Assert.IsType<ManagedJoinableQueue>(d["q"]);
        Assert.IsType<ManagedRLock>(d["r"]);
    }
}
