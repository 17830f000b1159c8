namespace Plexus.Processes.Tests;

/// <summary>A fact that needs <see cref="NetworkNamespacePair"/>: skipped, with the reason, where namespaces cannot be made.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NetworkNamespaceFactAttribute : FactAttribute
{
    public NetworkNamespaceFactAttribute()
    {
        if (NetworkNamespacePair.WhyUnavailable is { } why)
        {
            Skip = why;
        }
    }
}
