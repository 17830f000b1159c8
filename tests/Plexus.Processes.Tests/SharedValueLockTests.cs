namespace Plexus.Processes.Tests;

public class SharedValueLockTests
{
    [Fact]
    public void An_unsynchronized_value_or_array_has_no_lock_and_says_so()
    {
        using var raw = new ProcessValue<int>(1, synchronized: false);
        using var rawArray = new ProcessArray<int>(2, synchronized: false);
        Assert.False(raw.IsSynchronized);
        Assert.False(rawArray.IsSynchronized);
        Assert.Contains("synchronized: false", Assert.Throws<InvalidOperationException>(() => raw.Lock).Message, StringComparison.Ordinal);
        Assert.Contains("synchronized: false", Assert.Throws<InvalidOperationException>(() => rawArray.Lock).Message, StringComparison.Ordinal);

        using var value = new ProcessValue<int>(1);
        Assert.True(value.IsSynchronized);
        using (value.Lock.Acquire())
        {
            value.Value++;
        }
        Assert.Equal(2, value.Value);
    }

    [Fact]
    public void A_disposed_value_or_array_throws_ObjectDisposedException()
    {
        var value = new ProcessValue<long>(5);
        var array = new ProcessArray<int>([1, 2, 3]);
        value.Dispose();
        array.Dispose();
        Assert.Throws<ObjectDisposedException>(() => value.Value);
        Assert.Throws<ObjectDisposedException>(() => array[0]);
        Assert.Throws<ObjectDisposedException>(() => array.ToArray());
    }
}
