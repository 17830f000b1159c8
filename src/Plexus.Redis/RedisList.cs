using StackExchange.Redis;

namespace Plexus.Redis;

/// <summary>A list shared through a Redis list (from <see cref="RedisManager.GetList{T}"/>); every call is one atomic command.</summary>
/// <typeparam name="T">The items.</typeparam>
public sealed class RedisList<T>
{
    private readonly IDatabase _db;

    internal RedisList(IDatabase db, string key)
    {
        _db = db;
        Key = key;
    }

    /// <summary>The list's Redis key.</summary>
    public string Key { get; }

    /// <summary>Gets or sets the item at <paramref name="index"/> (negative counts from the end, as in Python).</summary>
    public T this[long index]
    {
        get => GetAsync(index).GetAwaiter().GetResult();
        set => SetAsync(index, value).GetAwaiter().GetResult();
    }

    /// <summary>The number of items (<c>LLEN</c>).</summary>
    public long Count => _db.ListLength(Key);

    /// <summary>Appends <paramref name="item"/> (<c>RPUSH</c>); returns the new length.</summary>
    public Task<long> AddAsync(T item) => _db.ListRightPushAsync(Key, RedisValues.Write(item));

    /// <summary>Appends <paramref name="item"/>.</summary>
    public void Add(T item) => AddAsync(item).GetAwaiter().GetResult();

    /// <summary>The item at <paramref name="index"/> (<c>LINDEX</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">No item is there.</exception>
    public async Task<T> GetAsync(long index)
    {
        RedisValue value = await _db.ListGetByIndexAsync(Key, index).ConfigureAwait(false);
        return value.IsNull ? throw new ArgumentOutOfRangeException(nameof(index), index, $"the list {Key} has no item {index}") : RedisValues.Read<T>(value);
    }

    /// <summary>Replaces the item at <paramref name="index"/> (<c>LSET</c>).</summary>
    public Task SetAsync(long index, T item) => _db.ListSetByIndexAsync(Key, index, RedisValues.Write(item));

    /// <summary>Removes and returns the last item (<c>RPOP</c>, Python's <c>pop()</c>).</summary>
    /// <exception cref="InvalidOperationException">The list is empty.</exception>
    public async Task<T> PopAsync()
    {
        RedisValue value = await _db.ListRightPopAsync(Key).ConfigureAwait(false);
        return value.IsNull ? throw new InvalidOperationException($"pop from the empty list {Key}") : RedisValues.Read<T>(value);
    }

    /// <summary>A snapshot of every item in order (<c>LRANGE 0 -1</c>).</summary>
    public async Task<List<T>> ToListAsync() => (await _db.ListRangeAsync(Key).ConfigureAwait(false)).Select(RedisValues.Read<T>).ToList();

    /// <summary>Removes every item.</summary>
    public Task ClearAsync() => _db.KeyDeleteAsync(Key);
}
