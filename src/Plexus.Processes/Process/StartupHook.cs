#pragma warning disable CA1050 // The runtime looks for a type named StartupHook in the global namespace.

/// <summary>
/// The entry point of a Plexus child: the runtime calls <see cref="Initialize"/> before the
/// program's <c>Main</c> when <c>DOTNET_STARTUP_HOOKS</c> names this assembly, which only
/// <see cref="Plexus.Processes.ChildProcess"/> does. In any other process it returns at once.
/// </summary>
internal static class StartupHook
{
    /// <summary>Runs the child's target and exits, or returns when this is not a Plexus child.</summary>
    public static void Initialize() => Plexus.Processes.Hosting.ChildHost.RunIfChild();
}
