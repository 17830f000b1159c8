using CsCheck;

namespace Plexus.IO.Tests.Properties;

/// <summary>
/// The event loop's timers against a model: timers at random offsets (many due at the same moment),
/// some cancelled before they run, some scheduling another timer when they run. Every timer not cancelled
/// runs exactly once, never before it is due, and in order of due time; a cancelled one never runs.
/// </summary>
public class TimerHeapProperties
{
    private static readonly Gen<(int OffsetMs, bool Cancel, int ChildMs)> s_timer =
        Gen.Select(Gen.Int[0, 25], Gen.Int[0, 3].Select(n => n == 0), Gen.Int[-8, 8]);

    [Fact]
    public void Timers_run_once_in_due_order_and_cancelled_ones_never()
    {
        s_timer.Array[1, 60].Sample(Run, iter: 120, threads: 1);
    }

    private static void Run((int OffsetMs, bool Cancel, int ChildMs)[] timers)
    {
        using var loop = new EventLoop();
        var fired = new List<(string Name, double When, double At)>();
        int expected = timers.Count(t => !t.Cancel) + timers.Count(t => !t.Cancel && t.ChildMs >= 0);
        bool timedOut = false;
        void Fired(string name, LoopHandle self)
        {
            fired.Add((name, self.When, loop.Time));
            if (fired.Count == expected)
            {
                loop.Stop();
            }
        }
        double start = loop.Time;
        for (int i = 0; i < timers.Length; i++)
        {
            (int offset, bool cancel, int child) = timers[i];
            string name = $"timer {i}";
            LoopHandle? handle = null;
            handle = loop.CallAt(start + offset / 1000.0, () =>
            {
                Fired(name, handle!);
                if (child >= 0)
                {
                    LoopHandle? inner = null;
                    inner = loop.CallLater(TimeSpan.FromMilliseconds(child), () => Fired(name + " child", inner!));
                }
            });
            if (cancel)
            {
                handle.Cancel();
            }
        }
        // A bound, not a condition: the property fails if the timers have not all run within 10 s.
        LoopHandle guard = loop.CallLater(TimeSpan.FromSeconds(10), () => { timedOut = true; loop.Stop(); });
        if (expected > 0)
        {
            loop.RunForever();
        }
        guard.Cancel();
        Assert.False(timedOut, $"only {fired.Count} of {expected} timers ran within 10 s");
        Assert.Equal(expected, fired.Count);
        Assert.Equal(fired.Count, fired.Select(f => f.Name).Distinct().Count());
        var ran = fired.Select(f => f.Name).ToHashSet();
        for (int i = 0; i < timers.Length; i++)
        {
            Assert.Equal(!timers[i].Cancel, ran.Contains($"timer {i}"));
        }
        for (int i = 0; i < fired.Count; i++)
        {
            Assert.True(fired[i].At >= fired[i].When, $"{fired[i].Name} ran {(fired[i].When - fired[i].At) * 1000:F3} ms before it was due");
            if (i > 0)
            {
                Assert.True(fired[i].When >= fired[i - 1].When, $"{fired[i].Name} ran after {fired[i - 1].Name}, which was due later");
            }
        }
    }
}
