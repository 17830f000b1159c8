namespace Plexus.Processes.Tests;

public class ProcessQueueTests
{
    private const int Producers = 4;
    private const int Consumers = 4;
    private const int PerProducer = 50_000;

    [Fact]
    public void Four_producers_four_consumers_every_message_exactly_once_in_producer_order()
    {
        using var q = new ProcessQueue<long>();
        using var results = new ProcessQueue<byte[]>();
        var children = new List<ChildProcess>();
        try
        {
            for (int c = 0; c < Consumers; c++)
            {
                children.Add(ChildProcess.Create(Consume, q, results).Start());
            }
            var producers = new List<ChildProcess>();
            for (int p = 0; p < Producers; p++)
            {
                producers.Add(ChildProcess.Create(Produce, q, p).Start());
            }
            children.AddRange(producers);
            foreach (ChildProcess p in producers)
            {
                Assert.True(p.Join(TimeSpan.FromMinutes(2)));
                Assert.Equal(0, p.ExitCode);
            }
            for (int c = 0; c < Consumers; c++)
            {
                q.Put(-1);
            }
            var seen = new int[Producers * PerProducer];
            for (int c = 0; c < Consumers; c++)
            {
                byte[] received = results.Get(TimeSpan.FromMinutes(1));
                Assert.Equal(0, received[^1]);  // the consumer's own order check
                for (int i = 0; i < seen.Length; i++)
                {
                    seen[i] += received[i];
                }
            }
            Assert.All(seen, n => Assert.Equal(1, n));
        }
        finally
        {
            children.ForEach(c => c.Dispose());
        }
    }

    private static void Produce(ProcessQueue<long> q, int producer)
    {
        for (long i = 0; i < PerProducer; i++)
        {
            q.Put(((long)producer << 32) | i);
        }
    }

    private static void Consume(ProcessQueue<long> q, ProcessQueue<byte[]> results)
    {
        var seen = new byte[Producers * PerProducer + 1];
        var last = new long[Producers];
        Array.Fill(last, -1);
        while (true)
        {
            long item = q.Get();
            if (item < 0)
            {
                break;
            }
            int producer = (int)(item >> 32);
            int index = (int)(item & 0xFFFFFFFF);
            if (index <= last[producer])
            {
                seen[^1] = 1;  // out of order or repeated within this consumer
            }
            last[producer] = index;
            seen[producer * PerProducer + index]++;
        }
        results.Put(seen);
    }

    [Fact]
    public void Consumer_killed_while_blocked_in_get_loses_nothing()
    {
        using var q = new ProcessQueue<int>();
        using var ready = new ProcessEvent();
        using (ChildProcess blocked = ChildProcess.Create(BlockInGet, q, ready).Start())
        {
            Assert.True(ready.Wait(TimeSpan.FromSeconds(30)));
            Thread.Sleep(300);  // let it reach the futex sleep
            blocked.Kill();
            Assert.True(blocked.Join(TimeSpan.FromSeconds(10)));
        }
        for (int i = 0; i < 1000; i++)
        {
            q.Put(i);
        }
        using var sums = new ProcessQueue<long>();
        using ChildProcess consumer = ChildProcess.Create(SumN, q, sums, 1000).Start();
        Assert.Equal(999L * 1000 / 2, sums.Get(TimeSpan.FromSeconds(30)));
        Assert.True(q.IsEmpty);
    }

    private static void BlockInGet(ProcessQueue<int> q, ProcessEvent ready)
    {
        ready.Set();
        q.Get();
    }

    private static void SumN(ProcessQueue<int> q, ProcessQueue<long> sums, int n)
    {
        long sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += q.Get(TimeSpan.FromSeconds(20));
        }
        sums.Put(sum);
    }

    [Fact]
    public void Producer_killed_mid_put_leaves_whole_items_only_and_the_queue_usable()
    {
        using var q = new ProcessQueue<int>(capacityBytes: 64 * 1024);
        var received = new List<int>();
        using (ChildProcess producer = ChildProcess.Create(PutForever, q).Start())
        {
            while (received.Count < 20_000)
            {
                received.Add(q.Get(TimeSpan.FromSeconds(30)));
            }
            producer.Kill();
            Assert.True(producer.Join(TimeSpan.FromSeconds(10)));
        }
        while (q.TryGet(out int item, TimeSpan.FromMilliseconds(300)))
        {
            received.Add(item);
        }
        for (int i = 0; i < received.Count; i++)
        {
            Assert.Equal(i, received[i]);
        }
        q.Put(42);
        Assert.Equal(42, q.Get(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, q.Count);
    }

    private static void PutForever(ProcessQueue<int> q)
    {
        for (int i = 0; ; i++)
        {
            q.Put(i);
        }
    }

    [Fact]
    public void Object_queue_round_trips_a_childs_heterogeneous_list()
    {
        using var q = new ProcessQueue();
        using ChildProcess child = ChildProcess.Create(PutList, q).Start();
        object? item = q.Get(TimeSpan.FromSeconds(30));
        object?[] list = Assert.IsType<object?[]>(item);
        Assert.Equal(3, list.Length);
        Assert.Equal(11, Assert.IsType<int>(list[0]));
        Assert.Null(list[1]);
        Assert.Equal("hello", list[2]);
    }

    private static void PutList(ProcessQueue q) => q.Put(new object?[] { 11, null, "hello" });

    [Fact]
    public void Empty_and_full_outcomes_and_timeouts()
    {
        using var q = new ProcessQueue<string>(maxSize: 2);
        Assert.False(q.TryGet(out _));
        Assert.Throws<ProcessQueueEmptyException>(() => q.Get(TimeSpan.Zero));
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Throws<ProcessQueueEmptyException>(() => q.Get(TimeSpan.FromMilliseconds(200)));
        Assert.True(started.ElapsedMilliseconds >= 150);
        q.Put("a");
        Assert.True(q.TryPut("b"));
        Assert.True(q.IsFull);
        Assert.False(q.TryPut("c"));
        Assert.Throws<ProcessQueueFullException>(() => q.Put("c", TimeSpan.FromMilliseconds(100)));
        Assert.Equal(2, q.Count);
        Assert.Equal("a", q.Get());
        Assert.Equal("b", q.Get());
        Assert.Throws<ArgumentOutOfRangeException>(() => q.Get(TimeSpan.FromSeconds(-2)));
    }

    [Fact]
    public void Oversized_and_unserializable_items_are_refused_clearly()
    {
        using var q = new ProcessQueue<byte[]>(capacityBytes: 1024);
        ArgumentException e = Assert.Throws<ArgumentException>(() => q.Put(new byte[4096]));
        Assert.Contains("capacityBytes", e.Message, StringComparison.Ordinal);
        using var o = new ProcessQueue();
        Assert.ThrowsAny<Exception>(() => o.Put(new Thread(() => { })));
        Assert.True(o.IsEmpty);
    }

    [Fact]
    public void Joinable_queue_join_waits_for_task_done_in_a_child()
    {
        using var q = new ProcessJoinableQueue<int>();
        for (int i = 0; i < 100; i++)
        {
            q.Put(i);
        }
        Assert.False(q.Join(TimeSpan.FromMilliseconds(100)));
        using ChildProcess worker = ChildProcess.Create(Work, q, 100).Start();
        Assert.True(q.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, q.Unfinished);
        Assert.Throws<InvalidOperationException>(q.TaskDone);
    }

    private static void Work(ProcessJoinableQueue<int> q, int n)
    {
        for (int i = 0; i < n; i++)
        {
            q.Get();
            q.TaskDone();
        }
    }

    [Fact]
    public void Byte_arrays_of_every_header_size_round_trip_across_the_ring_edge_as_the_serializer_encodes_them()
    {
        using var q = new ProcessQueue<byte[]?>(capacityBytes: 150_000);
        int[] lengths = [0, 1, 2, 3, 4, 5, 255, 256, 65_535, 65_536, 70_001];
        for (int round = 0; round < 5; round++)
        {
            foreach (int length in lengths)
            {
                byte[] bytes = new byte[length];
                for (int i = 0; i < length; i++)
                {
                    bytes[i] = (byte)(i * 7 + round + length);
                }
                q.Put(bytes);
                Assert.Equal(bytes, q.Get());

                // The ring holds exactly what the serializer writes, so every view of the queue reads it.
                byte[] serialized = Plexus.Processes.Serialization.PlexusSerializer.Serialize<byte[]?>(bytes);
                byte[] header = new byte[5];
                int headerLength = Plexus.Processes.Sync.QueueRing.WriteBinHeader(header, length);
                Assert.Equal(serialized.AsSpan(0, headerLength).ToArray(), header[..headerLength]);
                Assert.Equal(serialized.Length, headerLength + length);
                Assert.Equal(headerLength, Plexus.Processes.Sync.QueueRing.ReadBinHeader(serialized, out int read));
                Assert.Equal(length, read);
            }
            q.Put(null);
            Assert.Null(q.Get());
        }
        Assert.True(q.IsEmpty);
    }

    [Fact]
    public void Threads_racing_on_a_tiny_bounded_ring_get_every_item_exactly_once_in_producer_order()
    {
        // A 256-byte ring and a limit of 3 make consumers race for the same record and producers
        // reuse bytes a losing consumer was still copying; every item must still come out once.
        const int PerThread = 20_000;
        using var q = new ProcessQueue<byte[]>(maxSize: 3, capacityBytes: 256);
        var seen = new System.Collections.Concurrent.ConcurrentBag<(int Producer, int Index)>();
        Thread[] producers = [.. Enumerable.Range(0, 2).Select(p => new Thread(() =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                byte[] item = new byte[9 + i % 40];
                BitConverter.TryWriteBytes(item, p);
                BitConverter.TryWriteBytes(item.AsSpan(4), i);
                item[^1] = (byte)i;
                q.Put(item);
            }
        }))];
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        Thread[] consumers = [.. Enumerable.Range(0, 2).Select(c => new Thread(() =>
        {
            int[] last = [-1, -1];
            for (int n = 0; n < PerThread; n++)
            {
                byte[] item = q.Get();
                int p = BitConverter.ToInt32(item);
                int i = BitConverter.ToInt32(item.AsSpan(4));
                if (item.Length != 9 + i % 40 || item[^1] != (byte)i || i <= last[p])
                {
                    failures.Enqueue($"consumer {c}: item {i} of producer {p} ({item.Length} bytes) after item {last[p]}");
                }
                last[p] = i;
                seen.Add((p, i));
            }
        }))];
        foreach (Thread t in producers.Concat(consumers))
        {
            t.Start();
        }
        foreach (Thread t in producers.Concat(consumers))
        {
            Assert.True(t.Join(TimeSpan.FromMinutes(2)));
        }
        Assert.Empty(failures);
        Assert.Equal(2 * PerThread, seen.Count);
        Assert.Equal(2 * PerThread, seen.Distinct().Count());
        Assert.True(q.IsEmpty);
        Assert.Equal(0, q.Count);
    }
}
