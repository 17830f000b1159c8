namespace Plexus.Lab;

internal static class BenchCommand
{
    public static int Run(string[]? models, string levels, string duration, string output) => throw new NotImplementedException();
}
