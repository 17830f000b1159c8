using System.CommandLine;

namespace Plexus.Lab;

/// <summary>
/// Runs the parsed command so that any bad input or failure ends as one line on stderr and a
/// non-zero exit code, never as usage text or a stack trace.
/// </summary>
internal static class CommandLine
{
    /// <summary>Exit code for input that could not be parsed (as the commands use for invalid options).</summary>
    public const int BadInput = 2;

    public static int Invoke(RootCommand root, string[] args)
    {
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            string command = parsed.CommandResult.Command is { } c && c != root ? $" {c.Name}" : "";
            Console.Error.WriteLine($"plexus{command}: {parsed.Errors[0].Message} (see plexus{command} --help)");
            return BadInput;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            Exception cause = e is AggregateException a ? a.GetBaseException() : e;
            Console.Error.WriteLine(cause is LabException
                ? $"plexus: {cause.Message}"
                : $"plexus: failed: {cause.GetType().Name}: {cause.Message}");
            return 1;
        }
    }
}
