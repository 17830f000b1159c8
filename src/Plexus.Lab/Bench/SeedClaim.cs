namespace Plexus.Lab.Bench;

/// <summary>One row of the claims table: what the seed says, the cells that decide it, and the verdict they give.</summary>
/// <param name="Says">The seed's claim.</param>
/// <param name="Measured">The deciding numbers of this run, or what was missing.</param>
/// <param name="Verdict"><see cref="Holds"/>, <see cref="DoesNotHold"/> or <see cref="NotMeasured"/>.</param>
internal sealed record SeedClaim(string Says, string Measured, string Verdict)
{
    public const string Holds = "holds";
    public const string DoesNotHold = "does not hold";
    public const string NotMeasured = "not measured";
}
