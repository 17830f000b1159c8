using Plexus.Processes;

namespace Plexus.Faults;

/// <summary>
/// The parent puts 4,000 numbered items on a bounded <see cref="ProcessQueue{T}"/> (at most 100 waiting);
/// two consumer children take them and tick each off in shared memory. Kill consumer 0: no item is taken
/// twice, and at most one (the one the dead consumer held between <c>Get</c> and its tick) is missing; the
/// producer never blocks for good. Stop consumer 0: every item is taken exactly once.
/// </summary>
internal sealed class QueueConsumerRow(Fault fault) : Row
{
    private const int Items = 4000;

    public override string Name => $"queue-consumer-{Victim.Suffix(fault)}";

    public override string Description => fault == Fault.Kill
        ? "SIGKILL a queue consumer: no item twice, at most its one in-hand item missing, producer not stuck"
        : "SIGSTOP/SIGCONT a queue consumer: every item taken exactly once";

    public override void Trial(Random random)
    {
        using var queue = new ProcessQueue<int>(maxSize: 100);
        using var seen = new ProcessArray<int>(Items, synchronized: false);
        using ChildProcess victim = ChildProcess.Create(Consume, queue, seen).Start();
        using ChildProcess other = ChildProcess.Create(Consume, queue, seen).Start();
        Task producer = Task.Factory.StartNew(() =>
        {
            for (int i = 0; i < Items; i++)
            {
                queue.Put(i);
            }
        }, TaskCreationOptions.LongRunning);
        Check.Within(TimeSpan.FromSeconds(10), () => seen.AsSpan().IndexOfAnyExcept(0) >= 0, "first item taken");
        Victim.Hit(victim.Pid, fault, random, maxDelayMs: 150);
        Check.That(producer.Wait(TimeSpan.FromSeconds(20)), "producer blocked 20 s after the fault");
        if (fault == Fault.Kill)
        {
            Check.That(victim.Join(TimeSpan.FromSeconds(5)) && victim.ExitCode == -9, $"victim exit {victim.ExitCode}");
        }
        int consumers = fault == Fault.Kill ? 1 : 2;
        for (int i = 0; i < consumers; i++)
        {
            queue.Put(-1);
        }
        Check.That(other.Join(TimeSpan.FromSeconds(20)) && other.ExitCode == 0, $"surviving consumer did not finish (exit {other.ExitCode})");
        Check.That(victim.Join(TimeSpan.FromSeconds(20)), "paused consumer did not finish");
        int[] counts = seen.ToArray();
        int twice = counts.Count(c => c > 1);
        int missing = counts.Count(c => c == 0);
        Check.That(twice == 0, $"{twice} item(s) taken twice");
        Check.That(missing <= (fault == Fault.Kill ? 1 : 0), $"{missing} item(s) never taken");
        Check.That(!queue.TryGet(out int left, TimeSpan.FromMilliseconds(50)), $"item {left} still queued after all consumers ended");
    }

    private static void Consume(ProcessQueue<int> queue, ProcessArray<int> seen)
    {
        Span<int> counts = seen.AsSpan();
        while (true)
        {
            int item = queue.Get();
            if (item < 0)
            {
                return;
            }
            Interlocked.Increment(ref counts[item]);
        }
    }
}
