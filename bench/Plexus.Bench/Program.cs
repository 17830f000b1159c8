using System.Reflection;

// Scenario benchmarks, run by name: `dotnet run -c Release --project bench/Plexus.Bench -- pipe`.
// Each scenario is `static class <Name>Bench` with `public static int Run(string[] args)`; each
// prints its numbers beside a baseline measured in the same run.
var scenarios = typeof(Program).Assembly.GetTypes()
    .Where(t => t.Name.EndsWith("Bench", StringComparison.Ordinal) && t.GetMethod("Run", BindingFlags.Public | BindingFlags.Static) is not null)
    .ToDictionary(t => t.Name[..^"Bench".Length].ToLowerInvariant(), t => t.GetMethod("Run")!);

if (args.Length == 0 || !scenarios.TryGetValue(args[0], out MethodInfo? run))
{
    Console.Error.WriteLine($"usage: Plexus.Bench <scenario> [args]; scenarios: {string.Join(", ", scenarios.Keys.Order())}");
    return 2;
}
return (int)run.Invoke(null, [args[1..]])!;
