using System.Buffers.Binary;
using System.Net.Sockets;
using Plexus.Processes.Serialization;

namespace Plexus.Processes.Tests;

/// <summary>The shared-memory channel that carries a Unix-socket client's blocking calls.</summary>
public sealed class ManagerChannelTests
{
    [Fact]
    public void Unix_socket_clients_get_a_channel_and_tcp_clients_do_not()
    {
        using ProcessManager unix = new ProcessManager().Start();
        ManagedDictionary d = unix.CreateDictionary();
        Assert.True(d.Client.HasChannel);
        d["k"] = 1;
        Assert.Equal(1, d["k"]);

        using ProcessManager tcp = new ProcessManager(useTcp: true).Start();
        ManagedDictionary t = tcp.CreateDictionary();
        Assert.False(t.Client.HasChannel);
        t["k"] = 2;
        Assert.Equal(2, t["k"]);
    }

    [Fact]
    public void Replies_and_requests_bigger_than_the_channel_go_on_the_socket_and_arrive_whole()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        byte[] big = new byte[3 * ManagerChannel.DefaultSize];
        Random.Shared.NextBytes(big);
        d["big"] = big; // the request does not fit the channel
        Assert.Equal(big, (byte[])d["big"]!); // nor does the reply
        ManagedList l = manager.CreateList();
        l.AddRange(Enumerable.Range(0, 300_000).Cast<object?>());
        Assert.Equal(300_000, l.ToList().Count);
        // The channel still serves small calls afterwards.
        d["small"] = "s";
        Assert.Equal("s", d["small"]);
        Assert.True(d.Client.HasChannel);
    }

    [Fact]
    public async Task A_blocking_call_after_pipelined_ones_sees_their_writes()
    {
        await using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        for (int round = 0; round < 50; round++)
        {
            List<Task> sets = [];
            for (int i = 0; i <= 100; i++)
            {
                sets.Add(d.SetAsync("k", round * 1000 + i));
            }
            // Not awaited: the blocking read must still come after every set above.
            Assert.Equal(round * 1000 + 100, d["k"]);
            await Task.WhenAll(sets);
            d["k"] = -1;
            Task<object?> read = d.GetAsync("k");
            Assert.Equal(-1, await read);
        }
    }

    [Fact]
    public async Task An_argument_that_cannot_cross_fails_its_call_and_leaves_nothing_in_flight()
    {
        await using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        Action notSerializable = () => { };
        Assert.ThrowsAny<Exception>(() => d["x"] = notSerializable);
        Assert.ThrowsAny<Exception>(() => { _ = d.SetAsync("x", notSerializable); }); // thrown before anything is sent
        await d.SetAsync("y", 1);
        Assert.Equal(0, d.Client.InFlight);
        d["z"] = 2;
        Assert.Equal(2, d["z"]);
        Assert.False(d.ContainsKey("x"));
    }

    [Fact]
    public void Threads_of_one_process_share_the_connection_and_each_sees_its_own_writes()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        Parallel.For(0, 8, t =>
        {
            for (int i = 0; i < 500; i++)
            {
                d[(t, i).ToString()] = i;
                Assert.Equal(i, d[(t, i).ToString()]);
                d.Increment("total");
            }
        });
        Assert.Equal(4000L, Convert.ToInt64(d["total"], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static void Hammer(ManagedDictionary d, ManagedList l, int index, int times)
    {
        for (int i = 0; i < times; i++)
        {
            d[index * 1_000_000 + i] = i;
            if ((int)d[index * 1_000_000 + i]! != i)
            {
                throw new InvalidOperationException("read a value this client did not write");
            }
            d.Increment("total");
        }
        l.Add(index);
    }

    [Fact]
    public void Many_client_processes_at_once_each_keep_their_writes_and_the_totals_are_exact()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        ManagedList l = manager.CreateList();
        Children.RunAll(12, k => ChildProcess.Create(Hammer, d, l, k, 500).Start());
        Assert.Equal(6000L, Convert.ToInt64(d["total"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(12 * 500 + 1, d.Count);
        Assert.Equal(Enumerable.Range(0, 12).Cast<object?>().ToHashSet(), l.ToList().ToHashSet());
    }

    private static void LoopForever(ManagedDictionary d, ManagedLock lk)
    {
        for (long i = 0; ; i++)
        {
            d["busy"] = i;
            _ = d["busy"];
            if (i == 100)
            {
                d["started"] = true;
            }
            if (i % 50 == 0)
            {
                lk.Acquire(); // now and then it holds a lock when it dies
                lk.Release();
            }
        }
    }

    [Fact]
    public async Task A_client_killed_in_the_middle_of_calls_leaves_the_manager_serving_the_others()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        ManagedLock lk = manager.CreateLock();
        for (int round = 0; round < 3; round++)
        {
            d["started"] = false;
            using ChildProcess child = ChildProcess.Create(LoopForever, d, lk).Start();
            while (!(bool)d["started"]!)
            {
                Assert.True(child.IsAlive, "the busy child ended early");
                await Task.Delay(5);
            }
            child.Kill();
            Assert.True(child.Join(TimeSpan.FromSeconds(30)));
            // The manager serves this client and new ones, and the dead client's lock (if it held it) is free.
            d["after"] = round;
            Assert.Equal(round, d["after"]);
            await Task.Run(lk.Acquire).WaitAsync(TimeSpan.FromSeconds(60)); // a lock the dead client held is released
            lk.Release();
            using ProcessManager other = ProcessManager.Connect(manager.Address, manager.AuthKey);
            Assert.Empty(other.CreateList());
        }
    }

    [Fact]
    public void A_call_waiting_in_the_channel_fails_when_its_connection_is_closed()
    {
        using ProcessManager manager = new ProcessManager().Start();
        using ProcessManager connected = ProcessManager.Connect(manager.Address, manager.AuthKey);
        ManagedQueue q = connected.CreateQueue();
        Assert.True(q.Client.HasChannel);
        Task<object?> waiting = Task.Run(q.Get);
        Thread.Sleep(100);
        connected.Shutdown(); // closes only this process's connection
        Assert.ThrowsAny<ManagerConnectionException>(() => waiting.GetAwaiter().GetResult());
        // The manager itself is unaffected.
        Assert.Empty(manager.CreateDictionary());
    }

    [Fact]
    public void An_attach_with_an_unsealed_memfd_is_refused_and_the_connection_keeps_working()
    {
        using ProcessManager manager = new ProcessManager().Start();
        using Socket s = ManagerSocket.Authenticated(manager);
        int fd = Plexus.Native.MemoryFile.Create("unsealed", ManagerChannel.DefaultSize, sealSize: false);
        try
        {
            byte[] payload = PlexusSerializer.Serialize<object?>(new object?[] { 7, 0, "attach", Array.Empty<object?>() });
            byte[] frame = new byte[payload.Length + 4];
            BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
            payload.CopyTo(frame, 4);
            Plexus.Native.Descriptors.SendWithDescriptors((int)s.Handle, frame, [fd]);
        }
        finally
        {
            Plexus.Native.Descriptors.Close(fd);
        }
        object?[] reply = (object?[])PlexusSerializer.Deserialize<object?>(ManagerSocket.ReadFrame(s))!;
        Assert.Equal(false, reply[1]);
        Assert.Contains("sealed", (string)((object?[])reply[2]!)[1]!, StringComparison.Ordinal);
        ManagerSocket.SendFrame(s, PlexusSerializer.Serialize<object?>(new object?[] { 8, 0, "ping", Array.Empty<object?>() }));
        reply = (object?[])PlexusSerializer.Deserialize<object?>(ManagerSocket.ReadFrame(s))!;
        Assert.Equal(true, reply[1]);
    }

    [Fact]
    public void An_attach_without_a_descriptor_is_refused_and_the_connection_keeps_working()
    {
        using ProcessManager manager = new ProcessManager().Start();
        using Socket s = ManagerSocket.Authenticated(manager);
        ManagerSocket.SendFrame(s, PlexusSerializer.Serialize<object?>(new object?[] { 7, 0, "attach", Array.Empty<object?>() }));
        object?[] reply = (object?[])PlexusSerializer.Deserialize<object?>(ManagerSocket.ReadFrame(s))!;
        Assert.Equal(7, Convert.ToInt32(reply[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(false, reply[1]);
        Assert.Contains("descriptor", (string)((object?[])reply[2]!)[1]!, StringComparison.Ordinal);
        ManagerSocket.SendFrame(s, PlexusSerializer.Serialize<object?>(new object?[] { 8, 0, "ping", Array.Empty<object?>() }));
        reply = (object?[])PlexusSerializer.Deserialize<object?>(ManagerSocket.ReadFrame(s))!;
        Assert.Equal(true, reply[1]);
        Assert.Equal(manager.ServerPid, Convert.ToInt32(reply[2], System.Globalization.CultureInfo.InvariantCulture));
    }
}
