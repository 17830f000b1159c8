using System.Globalization;
using System.Net;
using System.Text;

namespace Plexus.Lab.Bench;

/// <summary>
/// One inline SVG bar chart for report.html: a bar per model and level, models in the order of the
/// seed's five I/O models, each labelled with its model and group. Skipped or unmeasured cells draw no bar.
/// </summary>
internal static class BenchSvg
{
    private const int Width = 1100;
    private const int Height = 300;
    private const int Left = 70;
    private const int Top = 30;
    private const int PlotHeight = 200;

    /// <summary>The colour of each connection level, by its index (wraps around).</summary>
    public static readonly string[] LevelColors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

    public static string BarChart(string title, IReadOnlyList<BenchCell> cells, IReadOnlyList<string> models, int[] levels, Func<BenchCell, double> value)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        var measured = cells.Where(x => x.HasNumbers).ToList();
        double max = measured.Count == 0 ? 1 : Math.Max(measured.Max(value), 1e-9);
        int slots = Math.Max(1, models.Count * (levels.Length + 1));
        double slot = (Width - Left - 10) / (double)slots;
        var sb = new StringBuilder();
        sb.Append(c, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\">");
        sb.Append(c, $"<text x=\"{Left}\" y=\"18\" font-weight=\"bold\">{Encode(title)}</text>");
        sb.Append(c, $"<line x1=\"{Left}\" y1=\"{Top + PlotHeight}\" x2=\"{Width - 10}\" y2=\"{Top + PlotHeight}\" stroke=\"#333\"/>");
        sb.Append(c, $"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + PlotHeight}\" stroke=\"#333\"/>");
        for (int t = 0; t <= 4; t++)
        {
            double y = Top + PlotHeight - PlotHeight * t / 4.0;
            sb.Append(c, $"<text x=\"{Left - 5}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" font-size=\"11\">{max * t / 4:0.##}</text>");
        }
        for (int m = 0; m < models.Count; m++)
        {
            double center = Left + (m * (levels.Length + 1) + levels.Length / 2.0) * slot;
            sb.Append(c, $"<text x=\"{center:0.#}\" y=\"{Top + PlotHeight + 16}\" text-anchor=\"middle\" font-size=\"11\">{Encode(models[m])}</text>");
            sb.Append(c, $"<text x=\"{center:0.#}\" y=\"{Top + PlotHeight + 30}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#666\">{Encode(ModelGroups.Of(models[m]))}</text>");
            for (int l = 0; l < levels.Length; l++)
            {
                BenchCell? cell = measured.FirstOrDefault(x => x.Model == models[m] && x.Connections == levels[l]);
                if (cell is null)
                {
                    continue;
                }
                double v = value(cell);
                double h = Math.Max(1, PlotHeight * v / max);
                double x = Left + (m * (levels.Length + 1) + l + 0.5) * slot;
                sb.Append(c, $"<rect class=\"bar\" x=\"{x:0.##}\" y=\"{Top + PlotHeight - h:0.##}\" width=\"{slot * 0.9:0.##}\" height=\"{h:0.##}\" fill=\"{LevelColors[l % LevelColors.Length]}\" data-model=\"{Encode(cell.Model)}\" data-connections=\"{cell.Connections}\" data-value=\"{v:0.###}\">");
                sb.Append(c, $"<title>{Encode(cell.Model)}, {cell.Connections:N0} connections: {v:0.##}</title></rect>");
            }
        }
        for (int l = 0; l < levels.Length; l++)
        {
            double x = Left + 10 + l * 150;
            sb.Append(c, $"<rect x=\"{x:0.#}\" y=\"{Height - 22}\" width=\"12\" height=\"12\" fill=\"{LevelColors[l % LevelColors.Length]}\"/>");
            sb.Append(c, $"<text x=\"{x + 16:0.#}\" y=\"{Height - 12}\" font-size=\"11\">{levels[l]:N0} connections</text>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
