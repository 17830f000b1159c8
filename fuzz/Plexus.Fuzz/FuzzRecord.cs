namespace Plexus.Fuzz;

/// <summary>A user's record as a receiver declares it: plain fields, an <c>object</c> field, nested types and collections.</summary>
internal sealed record FuzzRecord(
    int Id, string? Name, object? Anything, FuzzPoint Point, FuzzColor Color, int[]? Numbers, List<string>? Tags,
    Dictionary<string, object?>? Attributes, List<FuzzPoint>? Path, DateTime When, decimal Amount);
