using Plexus.Processes;

namespace Plexus.Faults;

/// <summary>
/// Two children take turns on one <see cref="ProcessLock"/>, each bumping two shared counters inside it
/// (the invariant: equal whenever the lock is free). Kill one: the other carries on within 2 s (it gets
/// <see cref="AbandonedProcessLockException"/> and repairs), the parent then takes the lock and finds the
/// invariant. Stop one: nobody is declared dead, and the counters equal the sum of every turn.
/// </summary>
internal sealed class LockHolderRow(Fault fault) : Row
{
    // Shared slots: the two counters, abandonments seen, the stop flag, turns of child 0 and child 1.
    private const int First = 0, Second = 1, Abandoned = 2, StopFlag = 3, Turns = 4;

    public override string Name => $"lock-holder-{Victim.Suffix(fault)}";

    public override string Description => fault == Fault.Kill
        ? "SIGKILL a lock holder: the other holder goes on within 2 s (abandoned, repaired), invariant holds"
        : "SIGSTOP/SIGCONT a lock holder: no false abandonment, counters == sum of turns";

    public override void Trial(Random random)
    {
        using var gate = new ProcessLock();
        using var shared = new ProcessArray<long>(6, synchronized: false);
        using ChildProcess a = ChildProcess.Create(Take, gate, shared, 0).Start();
        using ChildProcess b = ChildProcess.Create(Take, gate, shared, 1).Start();
        try
        {
            Check.Within(TimeSpan.FromSeconds(10), () => shared[Turns] > 0 && shared[Turns + 1] > 0, "both children taking turns");
            Victim.Hit(a.Pid, fault, random, maxDelayMs: 200);
            long turns = Volatile.Read(ref shared.AsSpan()[Turns + 1]);
            Check.Within(TimeSpan.FromSeconds(2), () => Volatile.Read(ref shared.AsSpan()[Turns + 1]) > turns + 50, "survivor's turns after the fault");
            ProcessLockScope held;
            using (var patience = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
            {
                try
                {
                    held = gate.Acquire(patience.Token);
                }
                catch (AbandonedProcessLockException e)
                {
                    held = e.Scope;
                }
                catch (OperationCanceledException)
                {
                    throw new FaultCheckException("parent could not take the lock within 2 s");
                }
            }
            using (held)
            {
                Check.That(shared[First] == shared[Second], $"invariant broken under the lock: {shared[First]} vs {shared[Second]}");
                if (fault == Fault.Stop)
                {
                    Check.That(shared[Abandoned] == 0, "a paused holder was declared dead");
                    Check.That(shared[First] == shared[Turns] + shared[Turns + 1], $"counter {shared[First]} != turns {shared[Turns]} + {shared[Turns + 1]}");
                }
                shared[StopFlag] = 1;
            }
            Check.That(b.Join(TimeSpan.FromSeconds(5)) && b.ExitCode == 0, $"survivor did not exit 0 within 5 s (exit {b.ExitCode})");
            Check.That(a.Join(TimeSpan.FromSeconds(5)), "victim did not end within 5 s");
            Check.That(a.ExitCode == (fault == Fault.Kill ? -9 : 0), $"victim exit {a.ExitCode}");
        }
        finally
        {
            shared[StopFlag] = 1;
            a.Join(TimeSpan.FromSeconds(5));
            b.Join(TimeSpan.FromSeconds(5));
        }
    }

    private static void Take(ProcessLock gate, ProcessArray<long> shared, int id)
    {
        Span<long> slots = shared.AsSpan();
        while (Volatile.Read(ref slots[StopFlag]) == 0)
        {
            ProcessLockScope scope;
            try
            {
                scope = gate.Acquire();
            }
            catch (AbandonedProcessLockException e)
            {
                scope = e.Scope;
                slots[Second] = slots[First];
                slots[Abandoned]++;
            }
            using (scope)
            {
                slots[First]++;
                Thread.SpinWait(200);
                slots[Second]++;
                slots[Turns + id]++;
            }
        }
    }
}
