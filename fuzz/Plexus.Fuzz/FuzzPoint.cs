namespace Plexus.Fuzz;

/// <summary>A struct with private fields, as a user's value type travels (all its fields).</summary>
internal readonly struct FuzzPoint(double x, double y)
{
    private readonly double _x = x;
    private readonly double _y = y;

    public double Length => Math.Sqrt(_x * _x + _y * _y);
}
