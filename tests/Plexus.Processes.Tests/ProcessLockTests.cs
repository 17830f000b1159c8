using System.Diagnostics;

namespace Plexus.Processes.Tests;

public class ProcessLockTests
{
    [Fact]
    public void Owner_killed_while_holding_is_reported_to_the_next_acquirer()
    {
        using var l = new ProcessLock();
        using var held = new ProcessEvent();
        using ChildProcess owner = ChildProcess.Create(HoldForever, l, held).Start();
        Assert.True(held.Wait(TimeSpan.FromSeconds(30)));
        Assert.False(l.TryAcquire(TimeSpan.FromMilliseconds(50)));
        int pid = owner.Pid;
        owner.Kill();
        var clock = Stopwatch.StartNew();
        AbandonedProcessLockException e = Assert.Throws<AbandonedProcessLockException>(() => l.TryAcquire(TimeSpan.FromSeconds(10)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
        Assert.Equal(pid, e.PreviousOwnerPid);
        Assert.Contains($"pid {pid}", e.Message, StringComparison.Ordinal);
        Assert.True(l.IsOwnedByCurrentThread);
        l.Release();
        Assert.True(l.TryAcquire());
        l.Release();
    }

    private static void HoldForever(ProcessLock l, ProcessEvent held)
    {
        l.Acquire();
        held.Set();
        Thread.Sleep(Timeout.Infinite);
    }

    [Fact]
    public void Release_by_a_non_owner_is_an_error()
    {
        using var l = new ProcessLock();
        Assert.Contains("not held", Assert.Throws<SynchronizationLockException>(l.Release).Message, StringComparison.Ordinal);
        using (l.Acquire())
        {
            Exception? fromOtherThread = null;
            var t = new Thread(() => fromOtherThread = Record(l.Release));
            t.Start();
            t.Join();
            Assert.IsType<SynchronizationLockException>(fromOtherThread);
            Assert.Throws<LockRecursionException>(() => l.TryAcquire());
        }
        using var held = new ProcessEvent();
        using ChildProcess owner = ChildProcess.Create(HoldForever, l, held).Start();
        Assert.True(held.Wait(TimeSpan.FromSeconds(30)));
        SynchronizationLockException e = Assert.Throws<SynchronizationLockException>(l.Release);
        Assert.Contains($"process {owner.Pid}", e.Message, StringComparison.Ordinal);
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

    [Fact]
    public void TryAcquire_times_out_while_another_process_holds_it()
    {
        using var l = new ProcessLock();
        using var held = new ProcessEvent();
        using var release = new ProcessEvent();
        using ChildProcess owner = ChildProcess.Create(HoldUntil, l, held, release).Start();
        Assert.True(held.Wait(TimeSpan.FromSeconds(30)));
        var clock = Stopwatch.StartNew();
        Assert.False(l.TryAcquire(TimeSpan.FromMilliseconds(300)));
        Assert.True(clock.ElapsedMilliseconds >= 250);
        release.Set();
        Assert.True(l.TryAcquire(TimeSpan.FromSeconds(30)));
        l.Release();
        Assert.True(owner.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, owner.ExitCode);
    }

    private static void HoldUntil(ProcessLock l, ProcessEvent held, ProcessEvent release)
    {
        using (l.Acquire())
        {
            held.Set();
            release.Wait();
        }
    }

    [Fact]
    public void RLock_is_reentrant_and_counts_releases()
    {
        using var r = new ProcessRLock();
        using (r.Acquire())
        using (r.Acquire())
        {
            Assert.Equal(2, r.RecursionCount);
        }
        Assert.False(r.IsOwnedByCurrentThread);
        Assert.Throws<SynchronizationLockException>(r.Release);
    }
}
