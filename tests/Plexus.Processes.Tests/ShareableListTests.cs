namespace Plexus.Processes.Tests;

public class ShareableListTests
{
    [Fact]
    public void A_list_round_trips_through_another_process_by_name()
    {
        using var list = new ShareableList([7, 2.5, true, "hello", null, -3L], stringCapacity: 16);
        Assert.Equal(6, list.Count);
        Assert.Equal(new object?[] { 7L, 2.5, true, "hello", null, -3L }, list.ToArray());
        using (ChildProcess child = ChildProcess.Create(ReadAndRewrite, list.Name).Start())
        {
            Assert.True(child.Join(TimeSpan.FromSeconds(60)));
            Assert.True(child.ExitCode == 0, child.Error?.Message);
        }
        // Every slot was rewritten by the child, several with a value of another kind.
        Assert.Equal(new object?[] { 8L, null, "é€ 12345", 0.25, false, long.MinValue }, list.ToArray());
        Assert.Equal(3, list.IndexOf(0.25));
        Assert.Equal(0, list.IndexOf(8));
        Assert.Equal(-1, list.IndexOf("absent"));
    }

    private static void ReadAndRewrite(string name)
    {
        using var list = new ShareableList(name: name);
        object?[] seen = list.ToArray();
        object?[] expected = [7L, 2.5, true, "hello", null, -3L];
        if (!seen.SequenceEqual(expected) || list.Segment.IsOwner)
        {
            throw new InvalidOperationException($"the child saw {list}");
        }
        list[0] = (long)list[0]! + 1;
        list[1] = null;
        list[2] = "é€ 12345";   // 11 UTF-8 bytes: fits the 16 every slot was given
        list[3] = 0.25;
        list[4] = false;
        list[5] = long.MinValue;
    }

    [Fact]
    public void A_string_longer_than_its_slot_and_a_foreign_type_are_refused()
    {
        using var list = new ShareableList(["abc", 1]);
        list[0] = "12345678";  // a slot holds at least 8 bytes
        var e = Assert.Throws<ArgumentException>(() => list[0] = "123456789");
        Assert.Contains("at most 8 UTF-8 bytes", e.Message, StringComparison.Ordinal);
        Assert.Equal("12345678", list[0]);
        Assert.Throws<ArgumentException>(() => list[1] = DateTime.Now);
        Assert.Throws<ArgumentException>(() => new ShareableList([new object()]));
        Assert.Throws<ArgumentOutOfRangeException>(() => list[2]);
    }

    [Fact]
    public void Attaching_to_a_segment_that_is_not_a_list_or_to_no_segment_fails_clearly()
    {
        using var plain = new NamedSharedMemory(create: true, size: 4096);
        var e = Assert.Throws<InvalidDataException>(() => new ShareableList(name: plain.Name));
        Assert.Contains("is not a ShareableList", e.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => new ShareableList(name: "plexus-test-none-" + Guid.NewGuid().ToString("N")));
        Assert.True(File.Exists("/dev/shm/" + plain.Name), "a failed attach removed the segment");
    }

    [Fact]
    public void Disposing_the_creating_list_unlinks_it()
    {
        var list = new ShareableList(["x"]);
        string name = list.Name;
        using (var other = new ShareableList(name: name))
        {
            Assert.Equal("x", other[0]);
        }
        Assert.True(File.Exists("/dev/shm/" + name));
        list.Dispose();
        Assert.False(File.Exists("/dev/shm/" + name));
    }
}
