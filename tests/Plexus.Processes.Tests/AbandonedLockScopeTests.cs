namespace Plexus.Processes.Tests;

/// <summary><c>Acquire</c> after an owner died holding the lock: the caller releases through the exception's scope.</summary>
public class AbandonedLockScopeTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(60);

    [Fact]
    public void An_abandoned_ProcessLock_is_released_through_the_exception_scope()
    {
        using var l = new ProcessLock();
        KillOwnerHolding(l, HoldForever);
        ProcessLockScope held = AcquireAbandoned(l);
        Assert.True(l.IsOwnedByCurrentThread);
        held.Dispose();
        Assert.False(l.IsLocked);
        AssertAnotherProcessAcquires(TakeLock, l);
    }

    [Fact]
    public void An_abandoned_ProcessRLock_is_released_through_the_exception_scope()
    {
        using var l = new ProcessRLock();
        KillOwnerHolding(l, HoldForever);
        ProcessLockScope held = AcquireAbandoned(l);
        Assert.Equal(1, l.RecursionCount);
        held.Dispose();
        Assert.Equal(0, l.RecursionCount);
        AssertAnotherProcessAcquires(TakeRLock, l);
    }

    /// <summary>The pattern of docs/sync.md: a <c>using</c> gets the scope whether Acquire returned or threw.</summary>
    private static ProcessLockScope AcquireAbandoned(ProcessLockBase l)
    {
        try
        {
            ProcessLockScope scope = l.Acquire();
            scope.Dispose();
            Assert.Fail("Acquire after the owner was killed did not report the abandoned lock");
            return default;
        }
        catch (AbandonedProcessLockException e)
        {
            return e.Scope;
        }
    }

    private static void KillOwnerHolding<TLock>(TLock l, Action<TLock, ProcessEvent> hold)
    {
        using var held = new ProcessEvent();
        using ChildProcess owner = ChildProcess.Create(hold, l, held).Start();
        Assert.True(held.Wait(s_long));
        owner.Kill();
        Assert.True(owner.Join(s_long));
    }

    private static void AssertAnotherProcessAcquires<TLock>(Action<TLock> take, TLock l)
    {
        using ChildProcess third = ChildProcess.Create(take, l).Start();
        Assert.True(third.Join(s_long));
        Assert.Equal(0, third.ExitCode);
    }

    private static void HoldForever(ProcessLock l, ProcessEvent held)
    {
        l.Acquire();
        held.Set();
        Thread.Sleep(Timeout.Infinite);
    }

    private static void HoldForever(ProcessRLock l, ProcessEvent held)
    {
        l.Acquire();
        l.Acquire();
        held.Set();
        Thread.Sleep(Timeout.Infinite);
    }

    private static void TakeLock(ProcessLock l)
    {
        if (!l.TryAcquire(TimeSpan.FromSeconds(10)))
        {
            Environment.Exit(2);
        }
        l.Release();
    }

    private static void TakeRLock(ProcessRLock l)
    {
        if (!l.TryAcquire(TimeSpan.FromSeconds(10)))
        {
            Environment.Exit(2);
        }
        l.Release();
    }
}
