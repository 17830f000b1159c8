using ScottPlot;

namespace Plexus.Lab.Bench;

/// <summary>
/// The bench's chart: server CPU per round trip (the primary figure) and round trips/s, per model
/// and level; models in the order of the seed's five I/O models, each labelled with its group.
/// </summary>
internal static class BenchChart
{
    public static void Save(List<BenchCell> cells, string[] models, int[] levels, string path)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        Draw(multiplot.GetPlot(0), cells, models, levels, c => c.ServerCpuUsPerRoundTrip, "server CPU µs per round trip (lower is better)");
        Draw(multiplot.GetPlot(1), cells, models, levels, c => c.RoundTripsPerSecond / 1000, "round trips/s, thousands (higher is better)");
        multiplot.SavePng(path, 1200, 900);
    }

    private static void Draw(Plot plot, List<BenchCell> cells, string[] models, int[] levels, Func<BenchCell, double> value, string title)
    {
        var palette = new ScottPlot.Palettes.Category10();
        var bars = new List<Bar>();
        for (int l = 0; l < levels.Length; l++)
        {
            Color color = palette.GetColor(l);
            for (int m = 0; m < models.Length; m++)
            {
                BenchCell? cell = cells.FirstOrDefault(c => c.Model == models[m] && c.Connections == levels[l]);
                if (cell is null || cell.Skipped is not null || cell.RoundTrips == 0)
                {
                    continue;
                }
                bars.Add(new Bar { Position = m * (levels.Length + 1) + l, Value = value(cell), FillColor = color });
            }
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"{levels[l]:N0} connections", FillColor = color });
        }
        plot.Add.Bars(bars);
        Tick[] ticks = [.. models.Select((m, i) => new Tick(i * (levels.Length + 1) + (levels.Length - 1) / 2.0, $"{m}\n{ModelGroups.Of(m)}"))];
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0, top: 0.3);
        plot.Title(title);
        plot.ShowLegend(Alignment.UpperLeft);
    }
}
