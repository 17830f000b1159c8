using ScottPlot;

namespace Plexus.Faults;

/// <summary>The soak's curves: RSS, descriptors and threads of each long-lived process over time, one panel each.</summary>
internal static class SoakChart
{
    public static void Save(IReadOnlyList<SoakSample> samples, string path, string verdict)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(3);
        Draw(multiplot.GetPlot(0), samples, s => s.RssKiB / 1024.0, $"RSS, MiB — {verdict}");
        Draw(multiplot.GetPlot(1), samples, s => s.Descriptors, "open descriptors");
        Draw(multiplot.GetPlot(2), samples, s => s.Threads, "threads");
        multiplot.GetPlot(2).XLabel("minutes");
        multiplot.SavePng(path, 1200, 1100);
    }

    private static void Draw(Plot plot, IReadOnlyList<SoakSample> samples, Func<SoakSample, double> value, string title)
    {
        var palette = new ScottPlot.Palettes.Category10();
        int i = 0;
        foreach (IGrouping<string, SoakSample> role in samples.Where(s => s.Role != SoakSampler.Other).GroupBy(s => s.Role))
        {
            var line = plot.Add.Scatter(role.Select(s => s.Minutes).ToArray(), role.Select(value).ToArray());
            line.LegendText = role.Key;
            line.Color = palette.GetColor(i++);
            line.MarkerSize = 3;
        }
        plot.Title(title);
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Alignment.UpperLeft);
    }
}
