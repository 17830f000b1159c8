using StackExchange.Redis;

namespace Plexus.Redis;

/// <summary>A dictionary shared through a Redis hash (from <see cref="RedisManager.GetDictionary{TKey, TValue}"/>); every call is one atomic command.</summary>
/// <typeparam name="TKey">Keys, serialized as hash fields.</typeparam>
/// <typeparam name="TValue">Values.</typeparam>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Named after what it is, as ProcessManager's ManagedDictionary.")]
public sealed class RedisDictionary<TKey, TValue> where TKey : notnull
{
    private readonly IDatabase _db;

    internal RedisDictionary(IDatabase db, string key)
    {
        _db = db;
        Key = key;
    }

    /// <summary>The hash's Redis key.</summary>
    public string Key { get; }

    /// <summary>Gets or sets a value; getting a missing key throws <see cref="KeyNotFoundException"/>.</summary>
    public TValue this[TKey key]
    {
        get => TryGetValueAsync(key).GetAwaiter().GetResult() is (true, var value) ? value : throw new KeyNotFoundException($"'{key}' is not in the dictionary {Key}");
        set => SetAsync(key, value).GetAwaiter().GetResult();
    }

    /// <summary>The number of entries (<c>HLEN</c>).</summary>
    public long Count => _db.HashLength(Key);

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> (<c>HSET</c>).</summary>
    public Task SetAsync(TKey key, TValue value) => _db.HashSetAsync(Key, RedisValues.Write(key), RedisValues.Write(value));

    /// <summary>Sets <paramref name="key"/> only if it is absent (<c>HSETNX</c>); <c>true</c> when it was set.</summary>
    public Task<bool> TryAddAsync(TKey key, TValue value) => _db.HashSetAsync(Key, RedisValues.Write(key), RedisValues.Write(value), When.NotExists);

    /// <summary>Reads <paramref name="key"/> (<c>HGET</c>).</summary>
    public async Task<(bool Found, TValue Value)> TryGetValueAsync(TKey key)
    {
        RedisValue value = await _db.HashGetAsync(Key, RedisValues.Write(key)).ConfigureAwait(false);
        return value.IsNull ? (false, default!) : (true, RedisValues.Read<TValue>(value));
    }

    /// <summary>Removes <paramref name="key"/> (<c>HDEL</c>); <c>true</c> when it was there.</summary>
    public Task<bool> RemoveAsync(TKey key) => _db.HashDeleteAsync(Key, RedisValues.Write(key));

    /// <summary>A snapshot of every entry (<c>HGETALL</c>).</summary>
    public async Task<Dictionary<TKey, TValue>> ToDictionaryAsync()
    {
        HashEntry[] entries = await _db.HashGetAllAsync(Key).ConfigureAwait(false);
        return entries.ToDictionary(e => RedisValues.Read<TKey>(e.Name), e => RedisValues.Read<TValue>(e.Value));
    }

    /// <summary>Removes every entry.</summary>
    public Task ClearAsync() => _db.KeyDeleteAsync(Key);
}
