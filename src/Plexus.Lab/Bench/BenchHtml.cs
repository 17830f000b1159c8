using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace Plexus.Lab.Bench;

/// <summary>
/// report.html: one self-contained page (style and script inline, nothing fetched) with the machine,
/// the run's settings, the charts as inline SVG and the results table, sortable by any header.
/// Every text that comes from the run is HTML-encoded.
/// </summary>
internal static class BenchHtml
{
    /// <summary>Records any script error into the page, so that a headless browser's DOM shows it.</summary>
    private const string ErrorScript = """
        window.onerror = function (message, source, line) {
          var e = document.getElementById('script-errors');
          if (e) { e.textContent += message + ' (line ' + line + ')\n'; }
        };
        """;

    /// <summary>Sorts the table by the clicked header: numbers by data-v, text otherwise; a second click reverses.</summary>
    private const string SortScript = """
        document.querySelectorAll('#results th').forEach(function (th, col) {
          th.addEventListener('click', function () {
            var body = document.querySelector('#results tbody');
            var rows = Array.prototype.slice.call(body.rows);
            var dir = th.dataset.dir === 'asc' ? -1 : 1;
            th.dataset.dir = dir === 1 ? 'asc' : 'desc';
            rows.sort(function (a, b) {
              var x = a.cells[col], y = b.cells[col];
              var nx = parseFloat(x.dataset.v), ny = parseFloat(y.dataset.v);
              if (!isNaN(nx) || !isNaN(ny)) {
                return dir * ((isNaN(nx) ? Infinity : nx) - (isNaN(ny) ? Infinity : ny));
              }
              return dir * x.textContent.localeCompare(y.textContent);
            });
            rows.forEach(function (r) { body.appendChild(r); });
          });
        });
        document.body.dataset.ready = '1';
        """;

    private const string Style = """
        body { font-family: sans-serif; margin: 20px; color: #222; }
        table { border-collapse: collapse; font-size: 13px; }
        th, td { border: 1px solid #ccc; padding: 3px 6px; }
        th { background: #eee; cursor: pointer; }
        td.n { text-align: right; }
        tr.skipped td { color: #888; }
        #script-errors { color: #b00; white-space: pre; }
        """;

    public static string Render(IReadOnlyList<BenchCell> cells, IReadOnlyList<string> models, int[] levels, TimeSpan window, string baseline, double runSeconds)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("<!DOCTYPE html>");
        sb.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\"><title>plexus bench</title>");
        sb.AppendLine(c, $"<style>{Style}</style>");
        sb.AppendLine(c, $"<script>{ErrorScript}</script></head><body>");
        sb.AppendLine("<h1>plexus bench</h1>");
        sb.AppendLine("<div id=\"script-errors\"></div>");
        sb.AppendLine("<h2>Machine</h2><ul id=\"machine\">");
        Item(sb, "cores", Environment.ProcessorCount.ToString(c));
        Item(sb, "kernel", Kernel());
        Item(sb, ".NET", RuntimeInformation.FrameworkDescription);
        sb.AppendLine("</ul><h2>Settings</h2><ul id=\"settings\">");
        Item(sb, "models", string.Join(", ", models));
        Item(sb, "connections", string.Join(", ", levels.Select(l => l.ToString("N0", c))));
        Item(sb, "duration per cell", window.TotalSeconds.ToString("0.###", c) + " s");
        Item(sb, "message", "32 bytes, echo ping-pong");
        Item(sb, "baseline", baseline);
        Item(sb, "whole run", runSeconds.ToString("0", c) + " s");
        sb.AppendLine("</ul><h2>Charts</h2><div id=\"charts\">");
        sb.AppendLine(BenchSvg.BarChart("server CPU µs per round trip (lower is better)", cells, models, levels, x => x.ServerCpuUsPerRoundTrip));
        sb.AppendLine(BenchSvg.BarChart("round trips/s (higher is better)", cells, models, levels, x => x.RoundTripsPerSecond));
        sb.AppendLine(BenchSvg.BarChart("p99 latency µs (lower is better)", cells, models, levels, x => x.P99Us));
        sb.AppendLine(BenchSvg.BarChart("server RSS MB (lower is better)", cells, models, levels, x => x.ServerRssMb));
        sb.AppendLine("</div><h2>Results</h2><p>Click a header to sort.</p>");
        Table(sb, cells, models, levels);
        sb.AppendLine(c, $"<script>{SortScript}</script>");
        sb.AppendLine("</body></html>");
        return sb.ToString();
    }

    private static void Table(StringBuilder sb, IReadOnlyList<BenchCell> cells, IReadOnlyList<string> models, int[] levels)
    {
        string[] headers = ["I/O model", "server", "connections", "round trips/s", "p50 µs", "p99 µs", "server CPU µs/rt", "RSS MB", "×rt/s", "×CPU", "errors", "drops"];
        sb.Append("<table id=\"results\"><thead><tr>");
        foreach (string h in headers)
        {
            sb.Append("<th>").Append(Encode(h)).Append("</th>");
        }
        sb.AppendLine("</tr></thead><tbody>");
        foreach (BenchCell cell in cells.OrderBy(x => Array.IndexOf(levels, x.Connections)).ThenBy(x => ModelGroups.SortKey(x.Model, models)))
        {
            sb.Append(cell.Skipped is null ? "<tr>" : "<tr class=\"skipped\">");
            Text(sb, cell.Group);
            Text(sb, cell.Model);
            Number(sb, cell.Connections, "N0");
            if (cell.Skipped is not null)
            {
                sb.Append("<td colspan=\"9\">").Append(Encode(cell.Skipped)).AppendLine("</td></tr>");
                continue;
            }
            Number(sb, cell.RoundTripsPerSecond, "0");
            Number(sb, cell.P50Us, "0");
            Number(sb, cell.P99Us, "0");
            Number(sb, cell.ServerCpuUsPerRoundTrip, "0.0");
            Number(sb, cell.ServerRssMb, "0");
            Number(sb, cell.ThroughputVsBaseline, "0.00");
            Number(sb, cell.CpuVsBaseline, "0.00");
            Text(sb, cell.ErrorSummary);
            Number(sb, cell.KernelDrops, "0");
            sb.AppendLine("</tr>");
        }
        sb.AppendLine("</tbody></table>");
    }

    private static void Item(StringBuilder sb, string name, string value)
        => sb.Append("<li><b>").Append(Encode(name)).Append(":</b> ").Append(Encode(value)).AppendLine("</li>");

    private static void Text(StringBuilder sb, string text) => sb.Append("<td>").Append(Encode(text)).Append("</td>");

    /// <summary>A right-aligned number whose raw value (data-v) is what the table sorts by; absent is "—".</summary>
    private static void Number(StringBuilder sb, double? value, string format)
    {
        if (value is not { } v)
        {
            sb.Append("<td class=\"n\">—</td>");
            return;
        }
        CultureInfo c = CultureInfo.InvariantCulture;
        sb.Append(c, $"<td class=\"n\" data-v=\"{v.ToString("R", c)}\">{v.ToString(format, c)}</td>");
    }

    private static string Kernel()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            return Environment.OSVersion.VersionString;
        }
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
