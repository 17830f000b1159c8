using Plexus.Native;

namespace Plexus.IO.Tests;

public sealed class FileDescriptorLimitTests
{
    [Fact]
    public void Current_reports_soft_not_above_hard()
    {
        var (soft, hard) = FileDescriptorLimit.Current;
        Assert.InRange(soft, 3, hard);
        Assert.Equal(soft, FileDescriptorLimit.Soft);
        Assert.Equal(hard, FileDescriptorLimit.Hard);
    }

    [Fact]
    public void Raise_within_the_hard_limit_succeeds_and_never_lowers()
    {
        long soft = FileDescriptorLimit.Soft;
        Assert.Equal(soft, FileDescriptorLimit.Raise(16));
        int target = (int)Math.Min(FileDescriptorLimit.Hard, 10_000);
        Assert.True(FileDescriptorLimit.Raise(target) >= target);
        Assert.True(FileDescriptorLimit.Soft >= target);
    }

    [Fact]
    public void Raise_beyond_the_hard_limit_says_what_to_do()
    {
        long hard = FileDescriptorLimit.Hard;
        if (hard >= int.MaxValue)
        {
            return;
        }
        var e = Assert.Throws<InvalidOperationException>(() => FileDescriptorLimit.Raise((int)hard + 1));
        Assert.Contains($"need {hard + 1} descriptors but the hard limit is {hard}", e.Message, StringComparison.Ordinal);
        Assert.Contains("ulimit -Hn", e.Message, StringComparison.Ordinal);
    }
}
