namespace Plexus.Faults;

/// <summary>
/// One row of the fault matrix: a fault injected into a running workload, and what must hold after it.
/// A trial throws <see cref="FaultCheckException"/> when a property fails; the runner adds the checks
/// every row shares (no hang past <see cref="Bound"/>, no process or descriptor left behind).
/// </summary>
internal abstract class Row
{
    /// <summary>The row's name for <c>--row</c> and the report.</summary>
    public abstract string Name { get; }

    /// <summary>What the row does and checks, one line (for <c>--list</c>).</summary>
    public abstract string Description { get; }

    /// <summary>The longest one trial may take; past it the trial counts as a hang.</summary>
    public virtual TimeSpan Bound => TimeSpan.FromSeconds(30);

    /// <summary>Called once before the warm-up trial (a server to start, say).</summary>
    public virtual void Setup()
    {
    }

    /// <summary>Runs one trial with timings drawn from <paramref name="random"/>.</summary>
    public abstract void Trial(Random random);

    /// <summary>Called once after the last trial; must end everything <see cref="Setup"/> started.</summary>
    public virtual void Teardown()
    {
    }
}
