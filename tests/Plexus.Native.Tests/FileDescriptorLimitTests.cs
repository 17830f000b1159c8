namespace Plexus.Native.Tests;

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
    public void Raise_beyond_what_may_be_raised_says_what_to_do()
    {
        // Not even root may go above fs.nr_open, so this refusal happens for every user.
        int ceiling = int.Parse(File.ReadAllText("/proc/sys/fs/nr_open").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        long hard = FileDescriptorLimit.Hard;
        var e = Assert.Throws<InvalidOperationException>(() => FileDescriptorLimit.Raise(ceiling + 1));
        Assert.Contains($"need {ceiling + 1} descriptors but the hard limit is {hard}", e.Message, StringComparison.Ordinal);
        Assert.Contains("ulimit -Hn", e.Message, StringComparison.Ordinal);
        Assert.Equal(hard, FileDescriptorLimit.Hard);
    }

    [Fact]
    public void Raise_above_the_hard_limit_raises_both_when_privileged_or_refuses()
    {
        long hard = FileDescriptorLimit.Hard;
        int ceiling = int.Parse(File.ReadAllText("/proc/sys/fs/nr_open").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        if (hard >= ceiling)
        {
            Assert.Throws<InvalidOperationException>(() => FileDescriptorLimit.Raise(ceiling + 1));
            return;
        }
        int wanted = (int)hard + 1;
        // Root with CAP_SYS_RESOURCE may raise the hard limit; a container's root often may not.
        InvalidOperationException? refused = Record.Exception(() => FileDescriptorLimit.Raise(wanted)) as InvalidOperationException;
        if (refused is null)
        {
            Assert.Equal(((long)wanted, (long)wanted), FileDescriptorLimit.Current);
        }
        else
        {
            Assert.Contains($"the hard limit is {hard}", refused.Message, StringComparison.Ordinal);
            Assert.Equal(hard, FileDescriptorLimit.Hard);
        }
    }
}
