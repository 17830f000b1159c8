using Plexus.Processes;

namespace Plexus.Faults;

/// <summary>
/// A client thread incrementing a managed dictionary's counter in a loop. Kill the manager: the next
/// call fails with <see cref="ManagerConnectionException"/> within 1 s and Dispose returns within 5 s.
/// Stop it: the calls stall and resume, and the counter equals the acknowledged increments.
/// </summary>
internal sealed class ManagerRow(Fault fault) : Row
{
    private const int Calls = 2000;

    public override string Name => $"manager-{Victim.Suffix(fault)}";

    public override string Description => fault == Fault.Kill
        ? "SIGKILL the manager under calls: ManagerConnectionException within 1 s, Dispose within 5 s"
        : "SIGSTOP/SIGCONT the manager under calls: counter == acknowledged increments";

    public override void Trial(Random random)
    {
        var manager = new ProcessManager().Start();
        try
        {
            ManagedDictionary counters = manager.CreateDictionary();
            long acknowledged = 0;
            Exception? error = null;
            DateTime failedAt = default;
            Task client = Task.Factory.StartNew(() =>
            {
                try
                {
                    for (int i = 0; i < (fault == Fault.Kill ? int.MaxValue : Calls); i++)
                    {
                        counters.Increment("n");
                        Interlocked.Increment(ref acknowledged);
                    }
                }
                catch (Exception e)
                {
                    failedAt = DateTime.UtcNow;
                    error = e;
                }
            }, TaskCreationOptions.LongRunning);
            Check.Within(TimeSpan.FromSeconds(10), () => Interlocked.Read(ref acknowledged) > 0 || client.IsCompleted, "first call");
            int server = manager.ServerPid ?? throw new FaultCheckException("manager has no server pid");
            Victim.Hit(server, fault, random, maxDelayMs: 200);
            DateTime hitAt = DateTime.UtcNow;
            Check.That(client.Wait(TimeSpan.FromSeconds(fault == Fault.Kill ? 1 : 20)), "client calls still running after the fault");
            if (fault == Fault.Kill)
            {
                Check.That(error is ManagerConnectionException, $"after the kill: {error?.GetType().Name ?? "no error"}: {error?.Message}");
                Check.Clear(error!, "manager died");
                Check.That(failedAt - hitAt < TimeSpan.FromSeconds(1), $"error came {(failedAt - hitAt).TotalMilliseconds:F0} ms after the kill");
            }
            else
            {
                Check.That(error is null, $"call failed across the pause: {error?.GetType().Name}: {error?.Message}");
                long stored = counters.Get<long>("n");
                Check.That(stored == acknowledged && stored == Calls, $"counter {stored}, acknowledged {acknowledged}, calls {Calls}");
            }
        }
        finally
        {
            Check.Within(TimeSpan.FromSeconds(5), Task.Run(() => { manager.Dispose(); return true; }), "manager Dispose");
        }
    }
}
