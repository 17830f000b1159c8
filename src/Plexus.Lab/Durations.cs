using System.Globalization;

namespace Plexus.Lab;

/// <summary>Parses the lab's durations: <c>10s</c>, <c>500ms</c>, <c>2m</c>, or a bare number of seconds.</summary>
internal static class Durations
{
    private const double MaxSeconds = 24 * 3600;

    public static TimeSpan Parse(string text, string option)
    {
        string t = text.Trim().ToLowerInvariant();
        (string number, double scale) = t.EndsWith("ms", StringComparison.Ordinal) ? (t[..^2], 0.001)
            : t.EndsWith('s') ? (t[..^1], 1.0)
            : t.EndsWith('m') ? (t[..^1], 60.0)
            : (t, 1.0);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            throw new LabException($"{option} '{text}' is not a duration; write e.g. 10s, 500ms or 2m");
        }
        double seconds = value * scale;
        if (seconds <= 0 || seconds > MaxSeconds)
        {
            throw new LabException($"{option} '{text}' is out of range; give more than 0 and at most a day, e.g. 10s");
        }
        return TimeSpan.FromSeconds(seconds);
    }
}
