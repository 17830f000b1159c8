namespace Plexus.Processes.Hosting;

/// <summary>Thrown inside serialization when an argument outgrows its <see cref="LaunchBuffer"/>; Start turns it into an <see cref="ArgumentException"/>.</summary>
internal sealed class LaunchTooLargeException(long atLeast) : Exception($"the argument needs at least {atLeast} bytes")
{
    /// <summary>A lower bound on the argument's serialized size.</summary>
    public long AtLeast { get; } = atLeast;
}
