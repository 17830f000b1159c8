namespace Plexus.Faults;

/// <summary>
/// Decides whether a sampled series grows without bound. The first 20% of the samples are warm-up
/// (JIT, pools, the GC finding its heap size) and are left out; the rest is cut in two halves. The
/// series grows if both hold: the least-squares slope of the second half, carried over the whole soak's
/// length, exceeds the metric's limit (it is still climbing at the end), and the second half's mean
/// exceeds the first half's by more than half the limit (it climbed). A sawtooth (GC) or a plateau
/// passes; a steady leak fails however small its step.
/// </summary>
internal static class GrowthTest
{
    public static (bool Grows, double Slope, double FirstMean, double SecondMean) Judge(IReadOnlyList<(double Minutes, double Value)> series, double limit, double soakMinutes)
    {
        var kept = series.Skip(series.Count / 5).ToList();
        if (kept.Count < 6)
        {
            return (false, 0, 0, 0);
        }
        var first = kept.Take(kept.Count / 2).ToList();
        var second = kept.Skip(kept.Count / 2).ToList();
        double firstMean = first.Average(s => s.Value);
        double secondMean = second.Average(s => s.Value);
        double slope = Slope(second);
        bool grows = slope * soakMinutes > limit && secondMean - firstMean > limit / 2;
        return (grows, slope, firstMean, secondMean);
    }

    /// <summary>Least-squares slope of value over minutes.</summary>
    public static double Slope(IReadOnlyList<(double Minutes, double Value)> points)
    {
        double mx = points.Average(p => p.Minutes), my = points.Average(p => p.Value);
        double sxy = points.Sum(p => (p.Minutes - mx) * (p.Value - my));
        double sxx = points.Sum(p => (p.Minutes - mx) * (p.Minutes - mx));
        return sxx == 0 ? 0 : sxy / sxx;
    }
}
