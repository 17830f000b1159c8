using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using Plexus.IO.Selectors;

namespace Plexus.Bench;

/// <summary>
/// BenchmarkDotNet proof that a steady-state <c>Select</c> allocates nothing: 100 registered
/// sockets, 10 ready, per backend, with the memory diagnoser. Run:
/// <c>dotnet run -c Release --project bench/Plexus.Bench -- selectoralloc</c>.
/// </summary>
public static class SelectorAllocBench
{
    public static int Run(string[] args)
    {
        IConfig config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithIterationCount(5).WithWarmupCount(2))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        var summary = BenchmarkRunner.Run<SelectorSelect>(config, args);
        return summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success) ? 1 : 0;
    }
}

/// <summary>One <c>Select(TimeSpan.Zero)</c> over 100 sockets with 10 ready, iterating the result.</summary>
[MemoryDiagnoser]
public class SelectorSelect
{
    private SelectorFixture _fixture = null!;

    [Params("select", "poll", "epoll")]
    public string Backend { get; set; } = "epoll";

    [GlobalSetup]
    public void Setup() => _fixture = new SelectorFixture(Backend, 100, 10);

    [GlobalCleanup]
    public void Cleanup() => _fixture.Dispose();

    [Benchmark]
    public int Select()
    {
        int fds = 0;
        foreach (SelectorReady ready in _fixture.Selector.Select(TimeSpan.Zero))
        {
            fds += ready.Key.Fd;
        }
        return fds;
    }
}
