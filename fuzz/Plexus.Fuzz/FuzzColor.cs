namespace Plexus.Fuzz;

/// <summary>An enum field: any number may arrive, named or not.</summary>
internal enum FuzzColor
{
    Red,
    Green,
    Blue,
}
