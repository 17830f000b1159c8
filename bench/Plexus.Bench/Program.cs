using System.Globalization;
using System.Reflection;

// Scenario benchmarks, run by name: `dotnet run -c Release --project bench/Plexus.Bench -- pipe`.
// Each scenario is `static class <Name>Bench` with `public static int Run(string[] args)`; each
// prints its numbers beside a baseline measured in the same run. `-- pool --runs 4` runs a scenario
// four times, each in a fresh process, and sums up which targets every run met.
var scenarios = typeof(Program).Assembly.GetTypes()
    .Where(t => t.Name.EndsWith("Bench", StringComparison.Ordinal) && t.GetMethod("Run", BindingFlags.Public | BindingFlags.Static) is not null)
    .ToDictionary(t => t.Name[..^"Bench".Length].ToLowerInvariant(), t => t.GetMethod("Run")!);

if (args.Length == 0 || !scenarios.TryGetValue(args[0], out MethodInfo? run))
{
    Console.Error.WriteLine($"usage: Plexus.Bench <scenario> [args] [--runs N]; scenarios: {string.Join(", ", scenarios.Keys.Order())}");
    return 2;
}
int runsAt = Array.IndexOf(args, "--runs");
if (runsAt > 0)
{
    if (runsAt + 1 >= args.Length || !int.TryParse(args[runsAt + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int runs) || runs < 1)
    {
        Console.Error.WriteLine("--runs needs a positive count, e.g. `-- pool --runs 4`");
        return 2;
    }
    string[] rest = [.. args[1..runsAt], .. args[(runsAt + 2)..]];
    return BenchRuns.Run(args[0], rest, runs);
}
return (int)run.Invoke(null, [args[1..]])!;
