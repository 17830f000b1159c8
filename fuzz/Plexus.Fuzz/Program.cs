using Plexus.Fuzz;
using SharpFuzz;

// Plexus.Fuzz --list                   the targets, one a line
// Plexus.Fuzz --seed DIR               writes the seed corpora (DIR/TARGET/corpus)
// Plexus.Fuzz TARGET                   under afl-fuzz: the persistent fork-server loop (SharpFuzz)
// Plexus.Fuzz TARGET --replay FILE...  runs each input once, prints what it did; exit 1 on a finding
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: Plexus.Fuzz --list | TARGET [--replay FILE...]");
    return 2;
}
if (args[0] == "--seed" && args.Length == 2)
{
    SeedCorpus.Write(args[1]);
    return 0;
}
if (args[0] == "--list")
{
    foreach (string name in FuzzTargets.Names)
    {
        Console.WriteLine(name);
    }
    return 0;
}
if (!FuzzTargets.TryGet(args[0], out Action<byte[]> target))
{
    Console.Error.WriteLine($"Plexus.Fuzz: no target '{args[0]}'; `Plexus.Fuzz --list` names them");
    return 2;
}
if (args.Length > 1 && args[1] == "--replay")
{
    return Replay.Run(target, args[2..]);
}
Fuzzer.Run(stream => target(Input.Read(stream)));
return 0;
