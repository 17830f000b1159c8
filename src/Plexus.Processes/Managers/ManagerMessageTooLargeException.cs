using System.Globalization;

namespace Plexus.Processes;

/// <summary>
/// One call to a manager, or its reply, is bigger than a manager message may be
/// (<see cref="ProcessManager.MaxMessageBytes"/>). Only that call fails: nothing of it was run (for a
/// call) or the object was left as it was (for a reply), and the connection and every proxy on it go on working.
/// </summary>
public sealed class ManagerMessageTooLargeException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public ManagerMessageTooLargeException(string message) : base(message) { }

    internal static ManagerMessageTooLargeException ForCall(string operation, long bytes) => new(
        $"the manager call '{operation}' is {Size(bytes)}, over the {Limit} limit of one manager message, so it was not sent; " +
        "split the value into smaller pieces (several keys or items), or pass big data another way (a SharedMemory block or a file)");

    internal static ManagerMessageTooLargeException ForReply(string? operation, long bytes) => new(
        $"the reply to the manager call '{operation ?? "?"}' is {Size(bytes)}, over the {Limit} limit of one manager message, so it was not sent " +
        "(the object is unchanged); read it in smaller pieces (single keys or items, or GetMany with fewer keys)");

    private static string Size(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes:N0} bytes");

    private static string Limit => string.Create(CultureInfo.InvariantCulture,
        $"{ProcessManager.MaxMessageBytes >> 20} MiB ({ProcessManager.MaxMessageBytes:N0}-byte)");
}
