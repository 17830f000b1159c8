namespace Plexus.Faults;

/// <summary>
/// A row against one lab model: the server starts once, each trial attacks it, then a fresh client's
/// echo must take under 1 s and the server's descriptors (its own and its children's) must fall back
/// to what they were after the warm-up within 5 s. At the end SIGTERM must stop it cleanly.
/// </summary>
internal abstract class ServerRow(string model) : Row
{
    private LabServer? _server;
    private int _baseline = -1;
    private List<string> _baselineTargets = [];

    protected string Model => model;

    /// <summary>
    /// How long a fresh client's echo may take during and after an attack: 1 s, except where each
    /// connection starts a process (<c>processes</c>: the attack's connections each start a runtime on
    /// the same cores first).
    /// </summary>
    protected TimeSpan ProbeBound => TimeSpan.FromSeconds(model == "processes" ? 10 : 1);

    /// <summary>How many connections an attack opens at once: a handful where each costs a process.</summary>
    protected int Scale(int connections) => model == "processes" ? Math.Min(connections, 12) : connections;

    protected LabServer Server => _server ?? throw new InvalidOperationException("the row was not set up");

    public override void Setup() => _server = new LabServer(model);

    public sealed override void Trial(Random random)
    {
        Attack(random);
        Check.That(!Server.HasExited, $"{model}: server died: {string.Join(" | ", Server.Errors)}");
        Server.Probe(4096, ProbeBound);
        if (_baseline < 0)
        {
            _baseline = Steady(); // the warm-up trial: later trials must come back to this
            _baselineTargets = Server.DescriptorTargets();
            return;
        }
        try
        {
            Check.Within(SettleBound, () => Server.Descriptors() <= _baseline, $"{model}: server descriptors back to {_baseline}");
        }
        catch (FaultCheckException e)
        {
            // What is open now beyond the warm-up's (by process and kind), so a failure says what was left.
            List<string> now = Server.DescriptorTargets();
            List<string> extra = [.. now];
            foreach (string target in _baselineTargets)
            {
                extra.Remove(target);
            }
            throw new FaultCheckException($"{e.Message} (now {now.Count}; beyond the warm-up's: {string.Join(", ", extra.GroupBy(t => t).Select(g => $"{g.Count()}x {g.Key}"))})");
        }
    }

    /// <summary>How long the server may take to close what an attack left: <c>processes</c> also refills its pre-started hosts.</summary>
    private TimeSpan SettleBound => TimeSpan.FromSeconds(model == "processes" ? 15 : 5);

    /// <summary>The server's descriptor count once it held still for 1 s (pre-started hosts refilled), at most 15 s.</summary>
    private int Steady()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int last = Server.Descriptors(), same = 0;
        while (same < 5 && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            Thread.Sleep(200);
            int now = Server.Descriptors();
            same = now == last ? same + 1 : 0;
            last = now;
        }
        return last;
    }

    /// <summary>The fault, ending with every attacking socket closed.</summary>
    protected abstract void Attack(Random random);

    public override void Teardown()
    {
        if (_server is null)
        {
            return;
        }
        try
        {
            _server.Stop();
        }
        finally
        {
            _server.Dispose();
        }
    }
}
