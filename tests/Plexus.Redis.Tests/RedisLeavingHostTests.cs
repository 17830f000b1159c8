using Plexus.Processes;
using Plexus.Processes.Serialization;
using StackExchange.Redis;

namespace Plexus.Redis.Tests;

/// <summary>
/// What stands for a resource of this host (a descriptor, or a manager's address and key) must not be
/// written into Redis, where other hosts read it: it is refused before anything is sent.
/// </summary>
public sealed class RedisLeavingHostTests
{
    [Fact]
    public async Task A_lock_as_a_task_argument_is_refused_before_it_reaches_Redis()
    {
        using var redis = new RedisServer();
        await using RedisPool pool = await RedisPool.ConnectAsync(redis.Url, new RedisPoolOptions { Queue = "leaving" });
        using var gate = new ProcessLock();
        long keysBefore = await KeyCountAsync(redis);

        Exception refused = await Assert.ThrowsAnyAsync<Exception>(() => pool.SubmitAsync(RedisTargets.Holds, gate));

        Assert.Contains("Redis", Refusal(refused).Message);
        Assert.Equal(keysBefore, await KeyCountAsync(redis));
    }

    [Fact]
    public async Task A_manager_proxy_stored_in_a_Redis_dictionary_is_refused_and_the_key_never_leaves()
    {
        using var redis = new RedisServer();
        await using RedisManager store = await RedisManager.ConnectAsync(redis.Url);
        using var manager = new ProcessManager();
        manager.Start();
        ManagedDictionary shared = manager.CreateDictionary();
        RedisDictionary<string, ManagedDictionary> remote = store.GetDictionary<string, ManagedDictionary>("proxies");

        Exception refused = Assert.ThrowsAny<Exception>(() => remote["d"] = shared);

        Assert.Contains("Redis", Refusal(refused).Message);
        Assert.Equal(0, remote.Count);
        Assert.Equal(0, await KeyCountAsync(redis));
        // The refusal ended its scope: the same proxy still travels where it may (a local pipe or queue).
        Assert.NotEmpty(PlexusSerializer.Serialize(shared));
    }

    /// <summary>The refusal itself, under whatever names the argument or value that carried it.</summary>
    private static NotSerializableException Refusal(Exception thrown)
    {
        for (Exception? e = thrown; e is not null; e = e.InnerException)
        {
            if (e is NotSerializableException refusal)
            {
                return refusal;
            }
        }
        throw new Xunit.Sdk.XunitException($"no NotSerializableException under {thrown}");
    }

    private static async Task<long> KeyCountAsync(RedisServer redis)
    {
        await using ConnectionMultiplexer admin = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Port},password={RedisServer.Password}");
        return (long)await admin.GetDatabase().ExecuteAsync("DBSIZE");
    }
}
