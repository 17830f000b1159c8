namespace Plexus.Processes.Tests;

/// <summary>Managed dictionaries and lists are IDictionary / IList: enumeration reads a snapshot in one call.</summary>
public sealed class ManagerEnumerationTests
{
    private static void Scribble(ManagedDictionary d, ManagedList l)
    {
        d.Clear();
        d["other"] = 1;
        l.Clear();
        l.Add("other");
    }

    [Fact]
    public void Enumerating_a_dictionary_or_list_sees_the_snapshot_taken_when_it_started()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary([new(1, "a"), new("b", 2.5)]);
        ManagedList l = manager.CreateList(["x", 2, null]);
        using IEnumerator<KeyValuePair<object, object?>> entries = d.GetEnumerator();
        using IEnumerator<object?> items = l.GetEnumerator();
        Children.RunAll(1, _ => ChildProcess.Create(Scribble, d, l).Start());
        List<KeyValuePair<object, object?>> seen = [];
        while (entries.MoveNext())
        {
            seen.Add(entries.Current);
        }
        List<object?> seenItems = [];
        while (items.MoveNext())
        {
            seenItems.Add(items.Current);
        }
        Assert.Equal([new(1, "a"), new("b", 2.5)], seen);
        Assert.Equal(["x", 2, null], seenItems);
        Assert.Equal([new("other", 1)], d.ToList());
        Assert.Equal(["other"], l);
    }

    [Fact]
    public void A_dictionary_and_a_list_answer_their_collection_interfaces()
    {
        using ProcessManager manager = new ProcessManager().Start();
        IDictionary<object, object?> d = manager.CreateDictionary();
        d.Add("k", 1);
        Assert.Throws<ArgumentException>(() => d.Add("k", 2));
        Assert.True(d.TryGetValue("k", out object? v));
        Assert.Equal(1, v);
        Assert.False(d.TryGetValue("missing", out _));
        Assert.Contains(new KeyValuePair<object, object?>("k", 1), (IEnumerable<KeyValuePair<object, object?>>)d);
        Assert.Equal(["k"], d.Keys);
        Assert.Equal([1], d.Values);
        KeyValuePair<object, object?>[] copy = new KeyValuePair<object, object?>[2];
        d.CopyTo(copy, 1);
        Assert.Equal("k", copy[1].Key);
        Assert.Equal(new Dictionary<object, object?> { ["k"] = 1 }, new Dictionary<object, object?>(d));

        ManagedList l = manager.CreateList(["a", "b", "a"]);
        Assert.Equal(1, l.IndexOf("b"));
        Assert.Equal(-1, l.IndexOf("z"));
        Assert.Contains("a", l);
        Assert.DoesNotContain("z", l);
        object?[] items = new object?[3];
        l.CopyTo(items, 0);
        Assert.Equal(["a", "b", "a"], items);
        Assert.Equal(2, l.Count(x => Equals(x, "a")));
    }
}
