using System.Diagnostics;
using System.Text.RegularExpressions;
using Plexus.Lab.Bench;
using Xunit.Abstractions;

namespace Plexus.Lab.Tests;

/// <summary>
/// <c>plexus bench</c>'s report.html, rendered by headless Chromium: the table has a row per cell,
/// the inline SVG charts have bars, and the inline script ran without error. The page and a
/// screenshot are kept under the test's TestResults folder, whose path the test prints.
/// </summary>
public sealed partial class HtmlReportTests(ITestOutputHelper log)
{
    private static readonly TimeSpan s_browserTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public void Report_renders_in_Chromium_with_a_row_per_cell_drawn_charts_and_its_script_run()
    {
        string chromium = Chromium();
        string output = Path.Combine(AppContext.BaseDirectory, "TestResults", $"report-html-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid():N}"[..40]);
        log.WriteLine($"report and screenshot in {output}");
        (int exit, LabProcess bench) = LabProcess.Run(TimeSpan.FromMinutes(3),
            "bench", "--models", "epoll,threads", "--connections", "10,20", "--duration", "1s", "--out", output);
        using (bench)
        {
            Assert.True(exit == 0, $"plexus bench exited {exit}:\n{bench.Output}");
        }
        string report = Path.Combine(output, "report.html");
        string html = File.ReadAllText(report);
        Assert.DoesNotContain("src=\"http", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"http", html, StringComparison.Ordinal);

        string dom = Browse(chromium, output, "--dump-dom", new Uri(report).AbsoluteUri);
        Match errors = ScriptErrors().Match(dom);
        Assert.True(errors.Success, "report.html has no #script-errors element");
        Assert.True(errors.Groups[1].Value.Length == 0, $"report.html's script failed: {errors.Groups[1].Value}");
        Assert.Contains("data-ready=\"1\"", dom, StringComparison.Ordinal);

        string body = TableBody().Match(dom).Groups[1].Value;
        Assert.Equal(4, Regex.Count(body, "<tr[ >]"));
        foreach (string model in new[] { "epoll", "threads" })
        {
            Assert.Equal(2, Regex.Count(body, $"<td>{model}</td>"));
        }
        Assert.Equal(4, Regex.Count(dom, "<svg[ >]"));
        // Four charts of four measured cells each, every bar with a positive height.
        MatchCollection bars = Bar().Matches(dom);
        Assert.Equal(16, bars.Count);
        Assert.All(bars, b => Assert.True(double.Parse(b.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0));

        string screenshot = Path.Combine(output, "report.png");
        Browse(chromium, output, $"--screenshot={screenshot}", "--window-size=1200,2000", new Uri(report).AbsoluteUri);
        Assert.True(File.Exists(screenshot) && new FileInfo(screenshot).Length > 10_000, $"Chromium wrote no screenshot at {screenshot}");
        log.WriteLine($"screenshot: {screenshot}");
    }

    [Fact]
    public void Text_from_the_run_is_html_encoded()
    {
        var cell = new BenchCell { Model = "epoll", Connections = 10, Skipped = "<script>alert(1)</script> & more" };
        string html = BenchHtml.Render([cell], ["epoll"], [10], TimeSpan.FromSeconds(1), "dotnet-async", 1);
        Assert.DoesNotContain("<script>alert(1)", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more", html, StringComparison.Ordinal);
    }

    /// <summary>Debian's chromium, installed with apt-get when missing and running as root; otherwise the test fails saying so.</summary>
    private static string Chromium()
    {
        const string Path = "/usr/bin/chromium";
        if (File.Exists(Path))
        {
            return Path;
        }
        Assert.True(Environment.UserName == "root", "headless Chromium is needed: install it with `apt-get install -y chromium` (the test installs it only when running as root)");
        (int exit, string output) = Run("apt-get", ["install", "-y", "chromium"], TimeSpan.FromMinutes(10));
        Assert.True(exit == 0 && File.Exists(Path), $"apt-get install -y chromium failed (exit {exit}); install it by hand:\n{output}");
        return Path;
    }

    private static string Browse(string chromium, string output, params string[] args)
    {
        string profile = Path.Combine(output, "chromium-profile");
        (int exit, string stdout) = Run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", $"--user-data-dir={profile}", .. args], s_browserTimeout);
        Assert.True(exit == 0, $"chromium {string.Join(' ', args)} exited {exit}:\n{stdout}");
        return stdout;
    }

    private static (int ExitCode, string Stdout) Run(string file, string[] args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        using Process p = Process.Start(start)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Assert.Fail($"{file} did not finish within {timeout.TotalSeconds:0} s:\n{stderr.Result}");
        }
        p.WaitForExit();
        return (p.ExitCode, p.ExitCode == 0 ? stdout.Result : stdout.Result + stderr.Result);
    }

    [GeneratedRegex("<div id=\"script-errors\">(.*?)</div>", RegexOptions.Singleline)]
    private static partial Regex ScriptErrors();

    [GeneratedRegex("<tbody>(.*?)</tbody>", RegexOptions.Singleline)]
    private static partial Regex TableBody();

    [GeneratedRegex("<rect class=\"bar\"[^>]* height=\"([0-9.]+)\"")]
    private static partial Regex Bar();
}
