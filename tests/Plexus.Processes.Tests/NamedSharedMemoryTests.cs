namespace Plexus.Processes.Tests;

public class NamedSharedMemoryTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(60);

    private static string PathOf(string name) => "/dev/shm/" + name;

    private static void RunChild(ChildProcess child)
    {
        using (child)
        {
            Assert.True(child.Join(s_long), $"{child} did not finish");
            Assert.True(child.ExitCode == 0, $"{child} failed: {child.Error?.Message}");
        }
    }

    [Fact]
    public void A_segment_written_by_one_process_is_read_and_written_by_another_by_name()
    {
        using var memory = new NamedSharedMemory(create: true, size: 1 << 20);
        Assert.True(memory.IsOwner);
        Assert.StartsWith(NamedSharedMemory.NamePrefix, memory.Name, StringComparison.Ordinal);
        Assert.Equal(1 << 20, memory.Size);
        Span<long> values = memory.AsSpan<long>();
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i;
        }
        RunChild(ChildProcess.Create(SumAndAnswer, memory.Name).Start());
        long n = values.Length;
        // The child wrote the sum of 0..n-2 into the last slot and a greeting into the first bytes.
        Assert.Equal((n - 1) * (n - 2) / 2, memory.AsSpan<long>()[^1]);
        Assert.Equal("hi"u8.ToArray(), memory.Span[..2].ToArray());
    }

    private static void SumAndAnswer(string name)
    {
        using var memory = new NamedSharedMemory(name);
        if (memory.IsOwner || memory.Size != 1 << 20)
        {
            throw new InvalidOperationException($"attached as owner {memory.IsOwner}, size {memory.Size}");
        }
        Span<long> values = memory.AsSpan<long>();
        long sum = 0;
        foreach (long v in values[..^1])
        {
            sum += v;
        }
        values[^1] = sum;
        "hi"u8.CopyTo(memory.AsMemory<byte>().Span);
    }

    [Fact]
    public void The_owner_unlinks_on_dispose_and_a_non_owner_does_not()
    {
        var memory = new NamedSharedMemory("plexus-test-" + Guid.NewGuid().ToString("N"), create: true, size: 4096);
        string name = memory.Name;
        RunChild(ChildProcess.Create(AttachAndDispose, name).Start());
        Assert.True(File.Exists(PathOf(name)), "a non-owner's dispose removed the segment");
        using (var again = new NamedSharedMemory(name))
        {
            Assert.False(again.IsOwner);
        }
        Assert.True(File.Exists(PathOf(name)));
        memory.Dispose();
        Assert.False(File.Exists(PathOf(name)), "the owner's dispose left the segment");
        var e = Assert.Throws<FileNotFoundException>(() => new NamedSharedMemory(name));
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => memory.Span.Length);
    }

    private static void AttachAndDispose(string name)
    {
        using var memory = new NamedSharedMemory(name);
        memory.Span[0] = 1;
    }

    [Fact]
    public void A_segment_is_owner_only_and_its_name_is_exclusive()
    {
        using var memory = new NamedSharedMemory(create: true, size: 100);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PathOf(memory.Name)));
        Assert.Equal(100, memory.Size);
        var e = Assert.Throws<IOException>(() => new NamedSharedMemory(memory.Name, create: true, size: 100));
        Assert.Contains("already exists", e.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(PathOf(memory.Name)), "a failed create removed the existing segment");
    }

    [Fact]
    public void Attaching_to_a_missing_name_says_so()
    {
        string name = "plexus-test-missing-" + Guid.NewGuid().ToString("N");
        var e = Assert.Throws<FileNotFoundException>(() => new NamedSharedMemory(name));
        Assert.Contains($"no shared memory named '{name}'", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new NamedSharedMemory());
        Assert.Throws<ArgumentOutOfRangeException>(() => new NamedSharedMemory(create: true, size: 0));
    }

    [Fact]
    public void Memory_after_dispose_throws_instead_of_touching_unmapped_memory()
    {
        var memory = new NamedSharedMemory(create: true, size: 64);
        Memory<int> ints = memory.AsMemory<int>();
        Assert.Equal(16, ints.Length);
        ints.Span[3] = 7;
        Assert.Equal(7, memory.AsSpan<int>()[3]);
        memory.Dispose();
        Assert.Throws<ObjectDisposedException>(() => ints.Span.Length);
    }

    [Fact]
    public void A_crashed_owner_leaves_a_stale_segment_that_RemoveStale_finds_and_a_live_ones_is_kept()
    {
        using var live = new NamedSharedMemory(create: true, size: 4096);
        using var names = new ProcessQueue<string>();
        using ChildProcess owner = ChildProcess.Create(CreateAndHang, names).Start();
        string crashed = names.Next();
        Assert.DoesNotContain(crashed, NamedSharedMemory.FindStale());
        owner.Kill();
        Assert.True(owner.Join(s_long));
        Assert.True(File.Exists(PathOf(crashed)), "SIGKILL cannot unlink: the segment should still be there");
        Assert.Contains(crashed, NamedSharedMemory.FindStale());
        Assert.DoesNotContain(live.Name, NamedSharedMemory.FindStale());

        Assert.Contains(crashed, NamedSharedMemory.RemoveStale());
        Assert.False(File.Exists(PathOf(crashed)));
        Assert.True(File.Exists(PathOf(live.Name)));
    }

    private static void CreateAndHang(ProcessQueue<string> names)
    {
        var memory = new NamedSharedMemory(create: true, size: 4096);
        names.Put(memory.Name);
        Thread.Sleep(Timeout.Infinite);
    }

    [Fact]
    public void An_owner_never_disposed_is_unlinked_when_its_process_exits()
    {
        using var names = new ProcessQueue<string>();
        RunChild(ChildProcess.Create(CreateAndForget, names).Start());
        string name = names.Next();
        Assert.False(File.Exists(PathOf(name)), "the segment outlived its owner's normal exit");
    }

    private static void CreateAndForget(ProcessQueue<string> names)
    {
        var memory = new NamedSharedMemory(create: true, size: 4096);
        names.Put(memory.Name);
        GC.KeepAlive(memory);
    }
}
