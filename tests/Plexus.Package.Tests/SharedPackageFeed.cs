namespace Plexus.Package.Tests;

/// <summary>
/// The package tests share one feed: packed once, and its copies in the NuGet cache removed only after
/// the last of them (one fixture per class removed them while another class was still publishing from
/// them). Being one collection, they also run one at a time, as a 2-core machine wants.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedPackageFeed : ICollectionFixture<PackageFeed>
{
    public const string Name = "packages";
}
