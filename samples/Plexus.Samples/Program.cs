using System.Reflection;

// Runs one seed example by name: `dotnet run -c Release --project samples/Plexus.Samples -- s01`.
// Each example is a file declaring `static class Sxx` with `public static int Run(string[] args)`;
// with no name the tour runs the short examples one after another.
string[] tour = ["s01", "s02", "s03", "s04", "s05", "s06", "s07", "s08", "s09", "s10", "s11", "s12", "s13"];

if (args.Length == 0 || args[0] is "tour")
{
    int failed = 0;
    foreach (string name in tour)
    {
        MethodInfo? run = Find(name);
        if (run is null)
        {
            continue;
        }
        Console.WriteLine($"===== {name} =====");
        failed += (int)run.Invoke(null, [Array.Empty<string>()])! == 0 ? 0 : 1;
    }
    return failed == 0 ? 0 : 1;
}

MethodInfo? target = Find(args[0]);
if (target is null)
{
    Console.Error.WriteLine($"unknown sample '{args[0]}'; samples: {string.Join(", ", All())}");
    return 2;
}
return (int)target.Invoke(null, [args[1..]])!;

static MethodInfo? Find(string name) =>
    typeof(Program).Assembly.GetType("Plexus.Samples." + name.ToUpperInvariant())
        ?.GetMethod("Run", BindingFlags.Public | BindingFlags.Static);

static IEnumerable<string> All() =>
    typeof(Program).Assembly.GetTypes()
        .Where(t => t.Namespace == "Plexus.Samples" && t.Name.Length == 3 && t.Name[0] == 'S')
        .Select(t => t.Name.ToLowerInvariant()).Order();
