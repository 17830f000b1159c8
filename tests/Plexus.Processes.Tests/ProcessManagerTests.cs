using System.Diagnostics;

namespace Plexus.Processes.Tests;

/// <summary>A user type served through a manager (Python's BaseManager.register).</summary>
public sealed class Counter
{
    private int _value;

    public Counter() { }

    public Counter(int start) => _value = start;

    public int Increment(int by) => _value += by;

    public int Value() => _value;

    public string Describe(string prefix) => prefix + _value;
}

public sealed class ProcessManagerTests
{
    [Fact]
    public void Sample_s09_prints_the_dict_and_ten_distinct_children_of_the_parent()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Plexus.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repo root not found");
        }
        string dll = Path.Combine(root, "samples/Plexus.Samples/bin/Release/net10.0/Plexus.Samples.dll");
        using Process p = Process.Start(new ProcessStartInfo("dotnet", [dll, "s09"]) { RedirectStandardOutput = true })!;
        string output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60_000));
        Assert.Equal(0, p.ExitCode);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int parent = int.Parse(lines[0].Split('=')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("{1: '1', '2': 2, 0.25: None}", lines);
        string list = lines[^1];
        var matches = System.Text.RegularExpressions.Regex.Matches(list, @"\{'pid': (\d+), 'ppid': (\d+)\}");
        Assert.Equal(10, matches.Count);
        Assert.Equal(10, matches.Select(m => m.Groups[1].Value).Distinct().Count());
        Assert.All(matches, m => Assert.Equal(parent.ToString(System.Globalization.CultureInfo.InvariantCulture), m.Groups[2].Value));
    }

    private static void WriteFromChild(ManagedDictionary d, ManagedList l)
    {
        d["child"] = Environment.ProcessId;
        d[1] = "1";
        d[0.25] = null;
        l.Add(ProcessInfo.ParentPid);
    }

    [Fact]
    public void Proxies_passed_to_children_reach_the_same_objects_and_mixed_keys_keep_their_types()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        ManagedList l = manager.CreateList();
        using ChildProcess child = ChildProcess.Create(WriteFromChild, d, l).Start();
        Assert.True(child.Join(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, child.ExitCode);
        Dictionary<object, object?> items = d.Items();
        Assert.Equal(child.Pid, items["child"]);
        Assert.Equal("1", items[1]);
        Assert.True(items.ContainsKey(0.25));
        Assert.Null(items[0.25]);
        Assert.Equal(new object?[] { Environment.ProcessId }, l.ToList());
    }

    [Fact]
    public void A_list_inside_a_dict_is_a_shared_proxy_not_a_copy()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        ManagedList inner = manager.CreateList();
        d["inner"] = inner;
        ManagedList back = Assert.IsType<ManagedList>(d["inner"]);
        back.Add("x");
        Assert.Equal(new object?[] { "x" }, inner.ToList());
        Assert.Equal(inner.Id, back.Id);
        Assert.IsType<ManagedList>(d.Items()["inner"]);
    }

    private static void AppendThroughNested(ManagedDictionary d) => ((ManagedList)d["inner"]!).Add(Environment.ProcessId);

    [Fact]
    public void A_nested_proxy_reached_in_a_child_writes_the_shared_list()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        ManagedList inner = manager.CreateList();
        d["inner"] = inner;
        using ChildProcess child = ChildProcess.Create(AppendThroughNested, d).Start();
        Assert.True(child.Join(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, child.ExitCode);
        Assert.Equal(new object?[] { child.Pid }, inner.ToList());
    }

    [Fact]
    public void Namespace_value_queue_and_lock_behave_like_local_ones()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedNamespace ns = manager.CreateNamespace();
        ns["x"] = 10;
        Assert.Equal(10, ns.Get<int>("x"));
        Assert.True(ns.Has("x"));
        Assert.Throws<KeyNotFoundException>(() => ns["y"]);

        ManagedValue<double> v = manager.CreateValue(1.5);
        v.Value = 2.5;
        Assert.Equal(2.5, v.Value);

        ManagedQueue q = manager.CreateQueue();
        Assert.False(q.TryGet(out _));
        q.Put(new object?[] { 11, null, "hello" });
        Assert.Equal(new object?[] { 11, null, "hello" }, q.Get());

        ManagedLock lk = manager.CreateLock();
        Assert.True(lk.TryAcquire());
        Assert.False(lk.TryAcquire());
        lk.Release();
        Assert.Throws<SynchronizationLockException>(lk.Release);
    }

    private static void PutLater(ManagedQueue q)
    {
        Thread.Sleep(200);
        q.Put("late");
    }

    [Fact]
    public void A_queue_get_waits_for_a_put_from_another_process()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedQueue q = manager.CreateQueue();
        using ChildProcess child = ChildProcess.Create(PutLater, q).Start();
        Assert.Equal("late", q.Get());
        Assert.True(child.Join(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public void A_registered_type_is_served_through_a_generic_proxy()
    {
        using ProcessManager manager = new ProcessManager().Register<Counter>("Counter").Start();
        ManagedObject c = manager.Create("Counter", 10);
        Assert.Equal(15, c.Invoke<int>("Increment", 5));
        Assert.Equal(15, c.Invoke<int>("Value"));
        Assert.Equal("n=15", c.Invoke<string>("Describe", "n="));
        Assert.Throws<InvalidOperationException>(() => c.Invoke("Decrement", 1));
        Assert.Throws<ArgumentException>(() => c.Invoke("Increment", "five"));
        Assert.Throws<InvalidOperationException>(() => manager.Create("Unknown"));
    }

    private static void UseByAddress(string address, byte[] key, int expectedServer)
    {
        using ProcessManager remote = ProcessManager.Connect(address, key);
        ManagedDictionary d = remote.GetOrCreateDictionary("shared");
        d["from"] = Environment.ProcessId;
        if (remote.ServerPid is not null || expectedServer <= 0)
        {
            throw new InvalidOperationException("a connected manager has no server of its own");
        }
    }

    [Fact]
    public void Another_process_connects_by_address_and_key()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.GetOrCreateDictionary("shared");
        using ChildProcess child = ChildProcess.Create(UseByAddress, manager.Address, manager.AuthKey, manager.ServerPid!.Value).Start();
        Assert.True(child.Join(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, child.ExitCode);
        Assert.Equal(child.Pid, d["from"]);
    }

    [Fact]
    public void Tcp_on_request_works_the_same()
    {
        using ProcessManager manager = new ProcessManager(useTcp: true).Start();
        Assert.StartsWith("tcp://127.0.0.1:", manager.Address, StringComparison.Ordinal);
        ManagedDictionary d = manager.CreateDictionary();
        d["k"] = "v";
        Assert.Equal("v", d["k"]);
    }

    [Fact]
    public async Task Pipelined_and_bulk_operations_keep_order_and_content()
    {
        await using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        Task[] sets = [.. Enumerable.Range(0, 500).Select(i => d.SetAsync(i, i * 2))];
        await Task.WhenAll(sets);
        Assert.Equal(500, d.Count);
        d.Update(Enumerable.Range(500, 100).Select(i => new KeyValuePair<object, object?>(i, i * 2)));
        object?[] got = d.GetMany([0, 599, "missing"]);
        Assert.Equal(new object?[] { 0, 1198, null }, got);
        ManagedList l = manager.CreateList();
        l.AddRange(["a", 1, 2.5]);
        await l.AddAsync("b");
        Assert.Equal(new object?[] { "a", 1, 2.5, "b" }, l.ToList());
    }

    [Fact]
    public void Dispose_leaves_no_server_process_and_removes_the_socket()
    {
        ProcessManager manager = new ProcessManager().Start();
        int pid = manager.ServerPid!.Value;
        string address = manager.Address;
        manager.Dispose();
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(pid));
        Assert.False(File.Exists(address));
        Assert.False(Directory.Exists(Path.GetDirectoryName(address)));
    }
}
