using Plexus.Processes;

namespace Plexus.Faults;

/// <summary>
/// Two producer children put numbered items on one <see cref="ProcessQueue{T}"/>, each counting an item
/// as acknowledged once <c>Put</c> returned; the parent consumes. Kill producer 0: every item it had
/// acknowledged arrives (plus at most the one in flight), in order, once; producer 1 delivers all its
/// items. Stop producer 0: both deliver everything, in order, once.
/// </summary>
internal sealed class QueueProducerRow(Fault fault) : Row
{
    private const long Items = 3000;
    private const long Stride = 1_000_000_000;

    public override string Name => $"queue-producer-{Victim.Suffix(fault)}";

    public override string Description => fault == Fault.Kill
        ? "SIGKILL a queue producer: its acknowledged items all arrive once, in order; the other producer's too"
        : "SIGSTOP/SIGCONT a queue producer: every item of both arrives once, in order";

    public override void Trial(Random random)
    {
        using var queue = new ProcessQueue<long>();
        using var acknowledged = new ProcessArray<long>(2, synchronized: false);
        using ChildProcess victim = ChildProcess.Create(Produce, queue, acknowledged, 0, fault == Fault.Kill ? long.MaxValue : Items).Start();
        using ChildProcess other = ChildProcess.Create(Produce, queue, acknowledged, 1, Items).Start();
        var next = new long[2];
        void Take(long item)
        {
            int producer = (int)(item / Stride);
            long seq = item % Stride;
            Check.That(producer is 0 or 1 && seq == next[producer], $"producer {producer} item {seq} arrived where {next[Math.Clamp(producer, 0, 1)]} was due");
            next[producer]++;
        }
        Task consumer = Task.Factory.StartNew(() =>
        {
            while (!victim.Join(TimeSpan.Zero) || !other.Join(TimeSpan.Zero))
            {
                if (queue.TryGet(out long item, TimeSpan.FromMilliseconds(20)))
                {
                    Take(item);
                }
            }
            while (queue.TryGet(out long item, TimeSpan.FromMilliseconds(200)))
            {
                Take(item);
            }
        }, TaskCreationOptions.LongRunning);
        Check.Within(TimeSpan.FromSeconds(10), () => Volatile.Read(ref acknowledged.AsSpan()[0]) > 0 || consumer.IsCompleted, "first put");
        Victim.Hit(victim.Pid, fault, random, maxDelayMs: 150);
        Check.That(consumer.Wait(TimeSpan.FromSeconds(20)), "consumer still draining 20 s after the fault");
        consumer.GetAwaiter().GetResult();
        Check.That(other.ExitCode == 0, $"the other producer exited {other.ExitCode}");
        Check.That(next[1] == Items, $"the other producer's items: {next[1]} of {Items} arrived");
        long acked = acknowledged[0];
        if (fault == Fault.Kill)
        {
            Check.That(victim.ExitCode == -9, $"victim exit {victim.ExitCode}");
            Check.That(next[0] >= acked && next[0] <= acked + 1, $"killed producer: {acked} acknowledged, {next[0]} arrived");
        }
        else
        {
            Check.That(victim.ExitCode == 0 && next[0] == Items && acked == Items, $"paused producer: exit {victim.ExitCode}, {next[0]} arrived, {acked} acknowledged");
        }
        queue.Put(42);
        Check.That(queue.TryGet(out long echo, TimeSpan.FromSeconds(1)) && echo == 42, "queue unusable after the fault");
    }

    private static void Produce(ProcessQueue<long> queue, ProcessArray<long> acknowledged, int id, long count)
    {
        Span<long> acks = acknowledged.AsSpan();
        for (long i = 0; i < count; i++)
        {
            queue.Put(id * Stride + i);
            Volatile.Write(ref acks[id], i + 1);
        }
    }
}
