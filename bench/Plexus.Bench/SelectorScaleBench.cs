using System.Diagnostics;
using Plexus.IO.Selectors;
using Plexus.Native;

namespace Plexus.Bench;

/// <summary>
/// Select calls per second with N registered idle sockets and 10 active ones, per backend:
/// epoll's cost follows the ready sockets, select's and poll's the registered ones.
/// N = 900 is the largest size select can hold here (descriptors must stay below FD_SETSIZE = 1024).
/// Run: <c>dotnet run -c Release --project bench/Plexus.Bench -- selectorscale [seconds]</c>.
/// </summary>
public static class SelectorScaleBench
{
    public static int Run(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1.0;
        int[] sizes = [100, 900, 1_000, 10_000];
        FileDescriptorLimit.Raise(sizes.Max() + 256);
        Console.WriteLine($"select() calls/s, N registered sockets, 10 readable, {seconds:0.#} s per cell (fd limit {FileDescriptorLimit.Soft})");
        Console.WriteLine($"{"backend",-8} {"N",7} {"calls/s",12} {"us/call",9} {"ready",6}");
        foreach (string backend in new[] { "select", "poll", "epoll" })
        {
            foreach (int n in sizes)
            {
                SelectorFixture fixture;
                try
                {
                    fixture = new SelectorFixture(backend, n, 10);
                }
                catch (ArgumentOutOfRangeException)
                {
                    Console.WriteLine($"{backend,-8} {n,7} {"n/a: a descriptor reached FD_SETSIZE (1024); select cannot watch it",12}");
                    continue;
                }
                using (fixture)
                {
                    Selector sel = fixture.Selector;
                    for (int i = 0; i < 1000; i++)
                    {
                        sel.Select(TimeSpan.Zero);
                    }
                    long calls = 0;
                    int ready = 0;
                    var watch = Stopwatch.StartNew();
                    while (watch.Elapsed.TotalSeconds < seconds)
                    {
                        for (int i = 0; i < 100; i++)
                        {
                            ready = sel.Select(TimeSpan.Zero).Length;
                        }
                        calls += 100;
                    }
                    double rate = calls / watch.Elapsed.TotalSeconds;
                    Console.WriteLine($"{backend,-8} {n,7} {rate,12:N0} {1e6 / rate,9:F2} {ready,6}");
                }
            }
        }
        return 0;
    }
}
