namespace Plexus.Processes.Tests;

/// <summary>
/// A client process killed while it waits on a managed Event or Condition (or holds an RLock) loses
/// nothing for the others: its waits are dropped and what it held is released.
/// </summary>
public sealed class ManagerClientDeathTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromMinutes(2);

    private static void SleepOnCondition(ManagedCondition c, ManagedQueue report)
    {
        c.Acquire();
        report.Put(Environment.ProcessId);
        c.Wait();
        report.Put("a dead process woke");
    }

    private static void SleepOnEvent(ManagedEvent e, ManagedQueue report)
    {
        report.Put(Environment.ProcessId);
        e.Wait();
    }

    private static void HoldRLock(ManagedRLock l, ManagedQueue report)
    {
        l.Acquire();
        l.Acquire();
        report.Put(Environment.ProcessId);
        Thread.Sleep(Timeout.Infinite);
    }

    [Fact]
    public async Task A_notify_skips_a_waiter_whose_process_was_killed_and_reaches_the_live_one()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedCondition c = manager.CreateCondition();
        ManagedQueue report = manager.CreateQueue();
        using ChildProcess doomed = ChildProcess.Create(SleepOnCondition, c, report).Start();
        Assert.Equal(doomed.Pid, report.Next());
        // The child put its pid holding the lock; this acquire succeeds only once its wait released it.
        c.Acquire();
        c.Release();
        using ManualResetEventSlim ready = new();
        Task<bool> live = Task.Run(() =>
        {
            using (c.Hold())
            {
                ready.Set();
                return c.Wait(s_patience);
            }
        });
        Assert.True(ready.Wait(s_patience));
        doomed.Kill();
        Assert.True(doomed.Join(s_patience));
        // One notify, with the dead waiter first in line: it must reach the live waiter.
        using (c.Hold())
        {
            c.Notify(1);
        }
        Assert.True(await live.WaitAsync(s_patience));
    }

    [Fact]
    public async Task An_event_waiter_killed_while_waiting_leaves_the_others_woken_by_the_set()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedEvent e = manager.CreateEvent();
        ManagedQueue report = manager.CreateQueue();
        using ChildProcess doomed = ChildProcess.Create(SleepOnEvent, e, report).Start();
        Assert.Equal(doomed.Pid, report.Next());
        Task<bool> live = Task.Run(() => e.Wait(s_patience));
        doomed.Kill();
        Assert.True(doomed.Join(s_patience));
        e.Set();
        Assert.True(await live.WaitAsync(s_patience));
        Assert.True(e.Wait(TimeSpan.Zero));
    }

    [Fact]
    public async Task An_rlock_held_twice_by_a_killed_process_is_released_for_the_next_waiter()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedRLock l = manager.CreateRLock();
        ManagedQueue report = manager.CreateQueue();
        using ChildProcess doomed = ChildProcess.Create(HoldRLock, l, report).Start();
        Assert.Equal(doomed.Pid, report.Next());
        Assert.False(l.TryAcquire());
        Task<bool> waiting = Task.Run(() => l.TryAcquire(s_patience));
        doomed.Kill();
        Assert.True(await waiting.WaitAsync(s_patience));
    }
}
