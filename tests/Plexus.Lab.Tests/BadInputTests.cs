namespace Plexus.Lab.Tests;

/// <summary>Every kind of bad option ends in one line on stderr and a non-zero exit code: no stack trace, no usage text.</summary>
public sealed class BadInputTests
{
    [Theory]
    [InlineData("descriptors", "load", "--connections", "30000", "--sources", "2", "--duration", "1s")]
    [InlineData("use --sources 2", "load", "--connections", "30000", "--duration", "1s")]
    [InlineData("--processes 0 is out of range", "load", "--connections", "10", "--processes", "0")]
    [InlineData("--sources 300 is out of range", "load", "--connections", "10", "--sources", "300")]
    [InlineData("--port 99999 is out of range", "load", "--connections", "10", "--port", "99999")]
    [InlineData("--port 0 is out of range", "load", "--connections", "10", "--port", "0")]
    [InlineData("--threads 0 must be at least 1", "load", "--connections", "10", "--threads", "0")]
    [InlineData("--connections must be at least 1", "load", "--connections", "-5")]
    [InlineData("does not exist", "load", "--connections", "10", "--json", "/nonexistent-plexus-dir/x.json")]
    [InlineData("out of range", "load", "--connections", "10", "--duration", "0s")]
    [InlineData("out of range", "load", "--connections", "10", "--timeout", "1e30s")]
    [InlineData("'abc'", "load", "--connections", "abc")]
    [InlineData("--connections", "load")]
    [InlineData("Unrecognized", "load", "--connections", "10", "--bogus")]
    [InlineData("--port 99999 is out of range", "serve", "--model", "epoll", "--port", "99999")]
    [InlineData("--workers -1 is out of range", "serve", "--model", "prefork", "--workers", "-1")]
    [InlineData("--max-processes 0 is out of range", "serve", "--model", "processes", "--max-processes", "0")]
    [InlineData("unknown model", "bench", "--models", "nope")]
    [InlineData("not a positive number", "bench", "--connections", "10,x")]
    [InlineData("cannot create --out", "bench", "--models", "epoll", "--connections", "10", "--duration", "1s", "--out", "/proc/plexus-cannot")]
    public void Bad_input_is_one_line_and_a_non_zero_exit(string expected, params string[] args)
    {
        (int exit, LabProcess p) = LabProcess.Run(TimeSpan.FromSeconds(60), args);
        using (p)
        {
            Assert.True(exit != 0, p.Output);
            string line = Assert.Single(p.Stderr);
            Assert.Contains(expected, line, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
            Assert.DoesNotContain(p.Stdout, l => l.Contains("listening", StringComparison.Ordinal) || l.Contains("Usage", StringComparison.Ordinal));
        }
    }
}
