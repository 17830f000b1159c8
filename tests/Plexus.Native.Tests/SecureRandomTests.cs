namespace Plexus.Native.Tests;

public sealed class SecureRandomTests
{
    [Fact]
    public void Gives_the_count_asked_for_and_different_bytes_each_time()
    {
        byte[] a = SecureRandom.GetBytes(4096);
        byte[] b = SecureRandom.GetBytes(4096);
        Assert.Equal(4096, a.Length);
        Assert.False(a.AsSpan().SequenceEqual(b));
        // 4,096 uniform bytes use nearly every value; a buffer left zero (or a stuck generator) would not.
        Assert.True(a.Distinct().Count() > 200);
        Assert.Empty(SecureRandom.GetBytes(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SecureRandom.GetBytes(-1));
    }
}
