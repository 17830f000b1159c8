using StackExchange.Redis;

namespace Plexus.Redis.Tests;

public sealed class RedisSharedStateTests
{
    [Fact]
    public async Task A_dictionary_and_a_list_written_by_one_client_are_read_by_another()
    {
        using var redis = new RedisServer();
        await using RedisManager writer = await RedisManager.ConnectAsync(redis.Url);
        await using RedisManager reader = await RedisManager.ConnectAsync(redis.Url);

        RedisDictionary<string, int[]> written = writer.GetDictionary<string, int[]>("scores");
        written["ada"] = [1, 2, 3];
        Assert.True(await written.TryAddAsync("bob", [4]));
        Assert.False(await written.TryAddAsync("bob", [5]));
        RedisList<string> list = writer.GetList<string>("log");
        list.Add("first");
        list.Add("second");
        list[0] = "zeroth";

        RedisDictionary<string, int[]> read = reader.GetDictionary<string, int[]>("scores");
        Assert.Equal([1, 2, 3], read["ada"]);
        Assert.Equal(2, read.Count);
        Assert.Throws<KeyNotFoundException>(() => read["nobody"]);
        Assert.True(await read.RemoveAsync("bob"));
        Assert.Equal(["ada"], (await read.ToDictionaryAsync()).Keys);
        RedisList<string> other = reader.GetList<string>("log");
        Assert.Equal(["zeroth", "second"], await other.ToListAsync());
        Assert.Equal("second", await other.PopAsync());
        Assert.Equal(1, list.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => other[5]);
    }

    [Fact]
    public async Task A_queue_gives_each_item_to_one_getter_and_join_waits_for_every_task_done()
    {
        using var redis = new RedisServer();
        await using RedisManager producer = await RedisManager.ConnectAsync(redis.Url);
        await using RedisManager consumerA = await RedisManager.ConnectAsync(redis.Url);
        await using RedisManager consumerB = await RedisManager.ConnectAsync(redis.Url);
        RedisQueue<int> put = producer.GetQueue<int>("jobs");
        RedisQueue<int> a = consumerA.GetQueue<int>("jobs"), b = consumerB.GetQueue<int>("jobs");

        Task<int> waiting = a.GetAsync(); // a getter that waits before anything is put wakes on the put
        put.Put(1);
        put.Put(2);
        put.Put(3);
        int[] got = [await waiting.WaitAsync(TimeSpan.FromSeconds(20)), b.Get(TimeSpan.FromSeconds(20)), a.Get(TimeSpan.FromSeconds(20))];

        Assert.Equal([1, 2, 3], got.Order());
        Assert.Throws<TimeoutException>(() => b.Get(TimeSpan.FromMilliseconds(200)));
        Assert.False(put.Join(TimeSpan.FromMilliseconds(200)));
        Task<bool> joined = put.JoinAsync(TimeSpan.FromSeconds(20));
        a.TaskDone();
        a.TaskDone();
        Assert.False(joined.IsCompletedSuccessfully && await joined);
        b.TaskDone();
        Assert.True(await joined);
        Assert.Throws<InvalidOperationException>(() => b.TaskDone());
    }

    [Fact]
    public async Task An_item_whose_getter_vanished_is_delivered_again_after_the_visibility_timeout()
    {
        using var redis = new RedisServer();
        await using RedisManager producer = await RedisManager.ConnectAsync(redis.Url);
        RedisQueue<string> queue = producer.GetQueue<string>("handoff");
        queue.Put("only");
        RedisManager vanishing = await RedisManager.ConnectAsync(redis.Url);
        Assert.Equal("only", vanishing.GetQueue<string>("handoff").Get(TimeSpan.FromSeconds(20)));
        await vanishing.DisposeAsync(); // took it, never marked it done

        await using RedisManager heir = await RedisManager.ConnectAsync(redis.Url);
        RedisQueue<string> again = heir.GetQueue<string>("handoff", visibilityTimeout: TimeSpan.FromMilliseconds(300));
        Assert.Equal("only", again.Get(TimeSpan.FromSeconds(20)));
        again.TaskDone();
        Assert.True(queue.Join(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task A_lock_excludes_other_holders_while_renewed_and_fencing_tokens_grow()
    {
        using var redis = new RedisServer();
        await using RedisManager first = await RedisManager.ConnectAsync(redis.Url);
        await using RedisManager second = await RedisManager.ConnectAsync(redis.Url);
        RedisLock mine = first.GetLock("resource", leaseTime: TimeSpan.FromSeconds(2));
        RedisLock theirs = second.GetLock("resource", leaseTime: TimeSpan.FromSeconds(2));

        RedisLockLease lease = await mine.AcquireAsync(TimeSpan.FromSeconds(10));
        Task<RedisLockLease> waiter = theirs.AcquireAsync(TimeSpan.FromSeconds(30));
        long until = Environment.TickCount64 + 5_000; // two and a half lease times: only renewal keeps it
        while (Environment.TickCount64 < until)
        {
            Assert.Null(await theirs.TryAcquireAsync());
            Assert.False(waiter.IsCompleted);
            await Task.Delay(250);
        }
        Assert.True(lease.IsHeld);
        long firstToken = lease.FencingToken;
        await lease.DisposeAsync();

        await using RedisLockLease next = await waiter.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(next.FencingToken > firstToken);
    }

    [Fact]
    public async Task A_lease_whose_key_vanished_reports_the_lock_lost()
    {
        using var redis = new RedisServer();
        await using RedisManager client = await RedisManager.ConnectAsync(redis.Url);
        RedisLock resource = client.GetLock("fragile", leaseTime: TimeSpan.FromMilliseconds(300));
        await using RedisLockLease lease = await resource.AcquireAsync(TimeSpan.FromSeconds(10));

        await using (ConnectionMultiplexer admin = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Port},password={RedisServer.Password}"))
        {
            await admin.GetDatabase().KeyDeleteAsync(resource.Key); // what an expiry or a failover does to a holder
        }

        Wait.Until(() => lease.Lost.IsCancellationRequested, TimeSpan.FromSeconds(20), "the lease did not notice that it lost the lock");
        Assert.False(lease.IsHeld);
    }
}
