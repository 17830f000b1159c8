using System.Diagnostics;

namespace Plexus.Processes.Tests;

/// <summary>Calls that wait in the manager (a queue's get, a lock's acquire) end by timeout or cancellation and lose nothing.</summary>
public sealed class ManagerWaitTests
{
    [Fact]
    public void A_get_that_times_out_returns_false_and_leaves_no_waiter_to_swallow_the_next_item()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedQueue q = manager.CreateQueue();
        Stopwatch watch = Stopwatch.StartNew();
        Assert.False(q.TryGet(out object? none, TimeSpan.FromMilliseconds(200)));
        Assert.Null(none);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(190), $"gave up after {watch.Elapsed}");
        Assert.False(q.TryGet(out _, TimeSpan.Zero));
        q.Put("next");
        // Had the manager kept the given-up get, the put would have answered it and the item would be gone.
        Assert.True(q.TryGet(out object? item));
        Assert.Equal("next", item);
        Assert.Throws<ArgumentOutOfRangeException>(() => q.TryGet(out _, TimeSpan.FromSeconds(-2)));
    }

    [Fact]
    public async Task A_cancelled_get_throws_and_the_item_put_later_stays_in_the_queue()
    {
        await using ProcessManager manager = new ProcessManager().Start();
        ManagedQueue q = manager.CreateQueue();
        using (CancellationTokenSource cts = new(TimeSpan.FromMilliseconds(100)))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => q.Get(cts.Token));
        }
        using (CancellationTokenSource cts = new(TimeSpan.FromMilliseconds(100)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => q.GetAsync(cts.Token));
        }
        q.Put(1);
        Assert.Equal(1, q.Count);
        Assert.Equal(1, await q.GetAsync());
        Assert.Equal(0, q.Client.InFlight);
    }

    [Fact]
    public async Task Waiting_gets_receive_items_put_by_another_connection()
    {
        await using ProcessManager manager = new ProcessManager().Start();
        ManagedQueue q = manager.GetOrCreateQueue("q");
        using ProcessManager other = ProcessManager.Connect(manager.Address, manager.AuthKey);
        ManagedQueue theirs = other.GetOrCreateQueue("q");
        using CancellationTokenSource cts = new();
        Task<object?> pending = q.GetAsync(cts.Token);
        Task<object?> blocking = Task.Run(() => q.TryGet(out object? got, TimeSpan.FromMinutes(5)) ? got : "timed out");
        theirs.Put("a");
        theirs.Put("b");
        object?[] both = [await pending.WaitAsync(TimeSpan.FromMinutes(2)), await blocking.WaitAsync(TimeSpan.FromMinutes(2))];
        Assert.Equal(["a", "b"], both.Order());
    }

    [Fact]
    public async Task Gets_timing_out_while_items_arrive_lose_none_and_duplicate_none()
    {
        await using ProcessManager manager = new ProcessManager().Start();
        ManagedQueue q = manager.GetOrCreateQueue("q");
        using ProcessManager other = ProcessManager.Connect(manager.Address, manager.AuthKey);
        ManagedQueue theirs = other.GetOrCreateQueue("q");
        const int Items = 500;
        Task producer = Task.Run(() =>
        {
            for (int i = 0; i < Items; i++)
            {
                theirs.Put(i);
                if (i % 50 == 0)
                {
                    Thread.Sleep(5);
                }
            }
        });
        List<int> received = [];
        while (received.Count < Items)
        {
            if (q.TryGet(out object? item, TimeSpan.FromMilliseconds(1)))
            {
                received.Add((int)item!);
            }
        }
        await producer;
        Assert.Equal(Enumerable.Range(0, Items), received);
        Assert.False(q.TryGet(out _));
    }

    [Fact]
    public async Task A_proxy_put_for_a_waiting_get_arrives_as_that_shared_object()
    {
        await using ProcessManager manager = new ProcessManager().Start();
        ManagedQueue q = manager.CreateQueue();
        ManagedList inner = manager.CreateList();
        Task<object?> waiting = q.GetAsync();
        // Calls of one connection run in order, and this one goes on the socket behind the get: the get is parked now.
        Assert.Equal(0, q.Count);
        q.Put(inner);
        ManagedList got = Assert.IsType<ManagedList>(await waiting.WaitAsync(TimeSpan.FromMinutes(2)));
        got.Add("x");
        Assert.Equal(new object?[] { "x" }, inner.ToList());
    }

    [Fact]
    public async Task An_acquire_given_up_leaves_the_lock_to_the_next_taker()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedLock mine = manager.GetOrCreateLock("l");
        using ProcessManager other = ProcessManager.Connect(manager.Address, manager.AuthKey);
        ManagedLock theirs = other.GetOrCreateLock("l");
        Assert.True(mine.TryAcquire());
        Assert.False(theirs.TryAcquire(TimeSpan.FromMilliseconds(100)));
        using (CancellationTokenSource cts = new(TimeSpan.FromMilliseconds(100)))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => theirs.Acquire(cts.Token));
        }
        using (CancellationTokenSource cts = new(TimeSpan.FromMilliseconds(100)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => theirs.AcquireAsync(cts.Token));
        }
        mine.Release();
        // Had the manager kept a given-up acquire, the release would have passed the lock to it.
        Assert.True(theirs.TryAcquire());
        Assert.False(mine.TryAcquire());
        theirs.Release();
        Assert.True(mine.TryAcquire(TimeSpan.FromSeconds(30)));
    }
}
