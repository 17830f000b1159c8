namespace Plexus.Faults;

/// <summary>Injects a <see cref="Fault"/> into a process this program started, by its pid.</summary>
internal static class Victim
{
    /// <summary>Waits a random 0-<paramref name="maxDelayMs"/> ms, then kills or pauses <paramref name="pid"/>.</summary>
    public static void Hit(int pid, Fault fault, Random random, int maxDelayMs = 300)
    {
        Thread.Sleep(random.Next(maxDelayMs + 1));
        if (fault == Fault.Kill)
        {
            Sys.Signal(pid, Sys.SigKill);
            return;
        }
        Sys.Signal(pid, Sys.SigStop);
        try
        {
            Thread.Sleep(50 + random.Next(351));
        }
        finally
        {
            Sys.Signal(pid, Sys.SigCont);
        }
    }

    public static string Suffix(Fault fault) => fault == Fault.Kill ? "kill" : "stop";
}
