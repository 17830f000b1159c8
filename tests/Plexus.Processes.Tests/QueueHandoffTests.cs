namespace Plexus.Processes.Tests;

/// <summary>Shareable objects as queue items: their descriptors wait in the sender's resource sharer.</summary>
public class QueueHandoffTests
{
    private sealed record Handoff(ProcessLock Lock, ProcessQueue<string> Replies);

    private static void UseHandoff(ProcessQueue<Handoff> inbox)
    {
        Handoff handoff = inbox.Get(TimeSpan.FromMinutes(1));
        handoff.Replies.Put(handoff.Lock.TryAcquire() ? "free" : "held");
        using (handoff.Lock.Acquire())
        {
            handoff.Replies.Put("acquired");
        }
    }

    [Fact]
    public void A_lock_and_a_queue_sent_as_a_queue_item_work_in_the_receiver()
    {
        using var inbox = new ProcessQueue<Handoff>();
        using var gate = new ProcessLock();
        using var replies = new ProcessQueue<string>();
        using ChildProcess child = ChildProcess.Create(UseHandoff, inbox).Start();
        ProcessLockScope held = gate.Acquire();
        inbox.Put(new Handoff(gate, replies));

        Assert.Equal("held", replies.Get(TimeSpan.FromMinutes(1)));
        held.Dispose();
        Assert.Equal("acquired", replies.Get(TimeSpan.FromMinutes(1)));
        Assert.True(child.Join(TimeSpan.FromMinutes(1)));
        Assert.True(child.ExitCode == 0, child.Error?.Message);
    }

    [Fact]
    public void An_item_is_handed_over_once_in_the_same_process_too()
    {
        using var queue = new ProcessQueue<ProcessLock>();
        using var gate = new ProcessLock();
        queue.Put(gate);
        using ProcessLock received = queue.Get(TimeSpan.FromSeconds(30));
        using (gate.Acquire())
        {
            // Another thread asks: this thread holding it would be refused as a recursive acquire instead.
            bool took = true;
            var other = new Thread(() => took = received.TryAcquire());
            other.Start();
            other.Join();
            Assert.False(took, "the received lock is the same lock");
        }
        Assert.True(received.TryAcquire());
        received.Release();
    }

    private static void PutLockAndExit(ProcessQueue<ProcessLock> queue) => queue.Put(new ProcessLock());

    [Fact]
    public void An_item_whose_sender_exited_fails_with_an_error_that_says_so()
    {
        using var queue = new ProcessQueue<ProcessLock>();
        Children.RunAll(1, _ => ChildProcess.Create(PutLockAndExit, queue).Start());

        Exception e = Assert.ThrowsAny<Exception>(() => queue.Get(TimeSpan.FromSeconds(30)));
        string messages = string.Join(" | ", Flatten(e).Select(x => x.Message));
        Assert.Contains("has exited", messages, StringComparison.Ordinal);
    }

    private static IEnumerable<Exception> Flatten(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }
}
