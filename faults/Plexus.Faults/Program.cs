using Plexus.Faults;

// The fault matrix and the soak. `faults/run.sh` runs each row in its own process:
//   Plexus.Faults row NAME [--repeat N] [--seed S]   one row, prints `row NAME: K/N passed, max T ms`
//   Plexus.Faults list                               row names and what each checks
//   Plexus.Faults soak MINUTES OUTDIR                the mixed workload, sampled every 10 s
//   Plexus.Faults orphan-parent                      (internal) the parent the parent-killed row kills
if (args.Length >= 1 && args[0] == "list")
{
    foreach (Row row in Rows.All())
    {
        Console.WriteLine($"{row.Name,-22} {row.Description}");
    }
    return 0;
}
if (args.Length >= 2 && args[0] == "row")
{
    int repeat = Option(args, "--repeat", 20);
    int seed = Option(args, "--seed", Environment.TickCount & 0xffff);
    Row? chosen = Rows.All().FirstOrDefault(r => r.Name == args[1]);
    if (chosen is null)
    {
        Console.Error.WriteLine($"unknown row '{args[1]}'; run `list` for the names");
        return 2;
    }
    // No idle host kept warm: a trial must leave no process behind, and a warm host would be one.
    Plexus.Processes.ChildProcess.Prestart(0);
    return RowRunner.Run(chosen, repeat, seed) ? 0 : 1;
}
if (args.Length >= 3 && args[0] == "soak")
{
    return Soak.Run(TimeSpan.FromMinutes(double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture)), args[2]);
}
if (args.Length >= 1 && args[0] == "orphan-parent")
{
    ParentKilledRow.RunDoomedParent();
    return 0;
}
Console.Error.WriteLine("usage: Plexus.Faults list | row NAME [--repeat N] [--seed S] | soak MINUTES OUTDIR");
return 2;

static int Option(string[] args, string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}
