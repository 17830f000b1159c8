using System.Runtime.CompilerServices;

namespace Plexus.Processes.Hosting;

/// <summary>
/// How this program was published, which decides how a child starts: through the startup hook (the
/// runtime loads Plexus.Processes.dll by path before <c>Main</c>), or through the app's own call to
/// <see cref="ChildProcess.RunIfChild"/> where there is no such hook: single-file (no assembly path),
/// trimmed (startup hooks are off) and NativeAOT (no hooks, no JIT; the target is found by name).
/// </summary>
internal static class PublishMode
{
    private static int s_explicitEntry;

    /// <summary>NativeAOT: no JIT, no startup hooks, and no metadata tokens (a target is found by its names).</summary>
    public static bool IsNativeAot => !RuntimeFeature.IsDynamicCodeSupported;

    /// <summary>Single-file: assemblies are bundled in the executable and have no path a startup hook could name.</summary>
    public static bool IsSingleFile => !IsNativeAot && string.IsNullOrEmpty(typeof(PublishMode).Assembly.Location);

    /// <summary>Whether the runtime runs startup hooks at all: a trimmed app turns them off (<c>StartupHookSupport</c>).</summary>
    public static bool HooksSupported =>
        !AppContext.TryGetSwitch("System.StartupHookProvider.IsSupported", out bool supported) || supported;

    /// <summary>Whether a child starts through the startup hook; otherwise through the app's call to <see cref="ChildProcess.RunIfChild"/>.</summary>
    public static bool UsesStartupHook => !IsNativeAot && !IsSingleFile && HooksSupported;

    /// <summary>Whether this program called <see cref="ChildProcess.RunIfChild"/>, so its children need no startup hook.</summary>
    public static bool HasExplicitEntry => Volatile.Read(ref s_explicitEntry) != 0;

    public static void MarkExplicitEntry() => Volatile.Write(ref s_explicitEntry, 1);

    /// <summary>The publish mode by name, for errors.</summary>
    public static string Name =>
        IsNativeAot ? "NativeAOT" : IsSingleFile ? "single-file" : HooksSupported ? "framework-dependent" : "trimmed (startup hooks off)";

    /// <summary>Throws the one clear error for a publish mode in which a child cannot start as things are.</summary>
    public static void EnsureChildrenCanStart()
    {
        if (!UsesStartupHook && !HasExplicitEntry)
        {
            throw new InvalidOperationException(
                $"this is a {Name} app, where a child cannot start through a startup hook; call " +
                "ChildProcess.RunIfChild() as the first line of Main");
        }
    }
}
