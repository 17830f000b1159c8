using System.Globalization;

namespace Plexus.Processes;

/// <summary>Reads a served operation's arguments, failing with the exception a local collection would throw.</summary>
internal static class OperationArgs
{
    public static object? At(object?[] args, int index, string operation) => index < args.Length
        ? args[index]
        : throw new ArgumentException($"'{operation}' needs {index + 1} argument(s), got {args.Length}");

    public static object Key(object?[] args, string operation) =>
        At(args, 0, operation) ?? throw new ArgumentNullException(null, $"'{operation}': a dictionary key cannot be null");

    public static int Index(object?[] args, int index, string operation) => At(args, index, operation) switch
    {
        int i => i,
        long x when x is >= int.MinValue and <= int.MaxValue => (int)x,
        var other => throw new ArgumentException($"'{operation}' needs an int index, not a {other?.GetType().Name ?? "null"}"),
    };

    /// <summary>The caller's thread id, which an RLock's or condition's calls carry first.</summary>
    public static long CallerThread(object?[] args, string operation) => At(args, 0, operation) switch
    {
        int i => i,
        long x => x,
        var other => throw new ArgumentException($"'{operation}' needs the caller's thread id first, not a {other?.GetType().Name ?? "null"}"),
    };

    public static T Of<T>(object?[] args, int index, string operation, string what) =>
        At(args, index, operation) is T t ? t : throw new ArgumentException($"'{operation}' takes {what}");

    /// <summary>A key as messages show it.</summary>
    public static string Show(object key) => key is string s ? $"'{s}'" : Convert.ToString(key, CultureInfo.InvariantCulture) ?? "?";

    public static InvalidOperationException NoOperation(string kind, string operation) =>
        new($"a managed {kind} has no operation '{operation}'");
}
