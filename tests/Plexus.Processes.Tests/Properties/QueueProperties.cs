using CsCheck;

namespace Plexus.Processes.Tests.Properties;

/// <summary>
/// A <see cref="ProcessQueue{T}"/> under many producers and consumers, in threads and in child processes,
/// with one producer process killed (SIGKILL) at a random moment. A small ring makes producers wait for
/// room and records wrap around its end. What must hold: every item of a producer that lived is delivered
/// exactly once; each consumer sees each producer's items in the order they were put; the killed producer's
/// delivered items are a prefix of what it meant to put (none lost between two delivered, none twice).
/// </summary>
public class QueueProperties
{
    private const long Sentinel = -1;

    private static readonly Gen<Scenario> s_scenario =
        Gen.Select(Gen.Int[1, 3], Gen.Int[1, 2], Gen.Int[1, 3], Gen.Int[0, 1], Gen.Int[50, 600], Gen.Bool, Gen.Int[0, 40])
            .Select(t => new Scenario(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, t.Item7));

    [Fact]
    public void Live_producers_items_arrive_exactly_once_in_order_despite_a_killed_producer()
    {
        s_scenario.Sample(Run, iter: 5, threads: 1);
    }

    private sealed record Scenario(int ThreadProducers, int ProcessProducers, int ThreadConsumers, int ProcessConsumers, int PerProducer, bool Kill, int KillAfterMs);

    private static void Run(Scenario s)
    {
        using var queue = new ProcessQueue<long>(capacityBytes: 2048);
        using var results = new ProcessQueue<long[]>();
        int producers = s.ThreadProducers + s.ProcessProducers;
        int killed = s.Kill ? s.ThreadProducers : -1;  // the first producer process
        var children = new List<ChildProcess>();
        try
        {
            var consumed = new List<long>[s.ThreadConsumers];
            var consumerThreads = new List<Thread>();
            for (int c = 0; c < s.ThreadConsumers; c++)
            {
                var mine = consumed[c] = [];
                consumerThreads.Add(Started(() => mine.AddRange(Consume(queue))));
            }
            for (int c = 0; c < s.ProcessConsumers; c++)
            {
                children.Add(ChildProcess.Create(ConsumeInChild, queue, results).Start());
            }
            var producerProcesses = new List<ChildProcess>();
            for (int p = s.ThreadProducers; p < producers; p++)
            {
                producerProcesses.Add(ChildProcess.Create(Produce, queue, p, s.PerProducer).Start());
            }
            children.AddRange(producerProcesses);
            var producerThreads = Enumerable.Range(0, s.ThreadProducers).Select(p => Started(() => Produce(queue, p, s.PerProducer))).ToList();
            if (s.Kill)
            {
                Thread.Sleep(s.KillAfterMs);  // the random moment: before, during or after its puts
                producerProcesses[0].Kill();
            }
            foreach (ChildProcess p in producerProcesses)
            {
                Assert.True(p.Join(TimeSpan.FromMinutes(1)), $"{p} did not finish within a minute");
            }
            producerThreads.ForEach(t => Assert.True(t.Join(TimeSpan.FromMinutes(1)), "a producer thread did not finish within a minute"));
            for (int c = 0; c < s.ThreadConsumers + s.ProcessConsumers; c++)
            {
                queue.Put(Sentinel);
            }
            consumerThreads.ForEach(t => Assert.True(t.Join(TimeSpan.FromMinutes(1)), "a consumer thread did not finish within a minute"));
            var all = consumed.Select(c => c.ToArray()).ToList();
            for (int c = 0; c < s.ProcessConsumers; c++)
            {
                all.Add(results.Get(TimeSpan.FromMinutes(1)));
            }
            Check(all, producers, s.PerProducer, killed);
        }
        finally
        {
            children.ForEach(c => c.Dispose());
        }
    }

    private static void Check(List<long[]> consumers, int producers, int perProducer, int killed)
    {
        var count = new int[producers, perProducer];
        foreach (long[] items in consumers)
        {
            var last = new long[producers];
            Array.Fill(last, -1);
            foreach (long item in items)
            {
                int producer = (int)(item >> 32), index = (int)(item & 0xFFFF_FFFF);
                Assert.True(index > last[producer], $"a consumer got item {index} of producer {producer} after item {last[producer]}");
                last[producer] = index;
                count[producer, index]++;
            }
        }
        for (int p = 0; p < producers; p++)
        {
            int delivered = 0;
            for (int i = 0; i < perProducer; i++)
            {
                Assert.True(count[p, i] <= 1, $"item {i} of producer {p} was delivered {count[p, i]} times");
                if (p == killed)
                {
                    Assert.True(count[p, i] == 0 || delivered == i, $"the killed producer's item {i} arrived but an earlier one did not");
                }
                else
                {
                    Assert.True(count[p, i] == 1, $"item {i} of live producer {p} was lost");
                }
                delivered += count[p, i];
            }
        }
    }

    private static Thread Started(Action work)
    {
        var thread = new Thread(() => work()) { IsBackground = true };
        thread.Start();
        return thread;
    }

    private static void Produce(ProcessQueue<long> queue, int producer, int count)
    {
        for (long i = 0; i < count; i++)
        {
            queue.Put(((long)producer << 32) | i);
        }
    }

    private static List<long> Consume(ProcessQueue<long> queue)
    {
        var items = new List<long>();
        for (long item; (item = queue.Get(TimeSpan.FromMinutes(1))) != Sentinel;)
        {
            items.Add(item);
        }
        return items;
    }

    private static void ConsumeInChild(ProcessQueue<long> queue, ProcessQueue<long[]> results) => results.Put([.. Consume(queue)]);
}
