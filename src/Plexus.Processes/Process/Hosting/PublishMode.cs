using System.Runtime.CompilerServices;

namespace Plexus.Processes.Hosting;

/// <summary>
/// How this program was published, which decides how a child starts: through the startup hook (the
/// runtime loads Plexus.Processes.dll by path before <c>Main</c>), or through the app's own call to
/// <see cref="ChildProcess.RunIfChild"/> when there is no such path (single-file).
/// </summary>
internal static class PublishMode
{
    private static int s_explicitEntry;

    /// <summary>NativeAOT: no JIT, no startup hooks, and no lookup of a method by metadata token.</summary>
    public static bool IsNativeAot => !RuntimeFeature.IsDynamicCodeSupported;

    /// <summary>Single-file: assemblies are bundled in the executable and have no path a startup hook could name.</summary>
    public static bool IsSingleFile => !IsNativeAot && string.IsNullOrEmpty(typeof(PublishMode).Assembly.Location);

    /// <summary>Whether this program called <see cref="ChildProcess.RunIfChild"/>, so its children need no startup hook.</summary>
    public static bool HasExplicitEntry => Volatile.Read(ref s_explicitEntry) != 0;

    public static void MarkExplicitEntry() => Volatile.Write(ref s_explicitEntry, 1);

    /// <summary>Throws the one clear error for a publish mode in which a child cannot start as things are.</summary>
    public static void EnsureChildrenCanStart()
    {
        if (IsNativeAot)
        {
            throw new PlatformNotSupportedException(
                "Plexus child processes do not work in a NativeAOT app: a child finds its target by metadata token " +
                "through reflection, which NativeAOT does not support. Publish without PublishAot (framework-dependent, " +
                "self-contained or single-file)");
        }
        if (IsSingleFile && !HasExplicitEntry)
        {
            throw new InvalidOperationException(
                "this is a single-file app, where a child cannot start through a startup hook; call " +
                "ChildProcess.RunIfChild() as the first line of Main");
        }
    }
}
