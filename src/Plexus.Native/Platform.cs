using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Plexus.Native;

/// <summary>
/// Plexus runs on Linux only. Its assemblies are not marked Linux-only (that would make every call
/// in a consumer's build a platform warning); instead the entry points check here and fail with one
/// clear message.
/// </summary>
public static class Platform
{
    /// <summary>True on Linux, the one operating system Plexus supports.</summary>
    [SupportedOSPlatformGuard("linux")]
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>The exception to throw when <see cref="IsSupported"/> is false.</summary>
    public static PlatformNotSupportedException NotSupported() => new(
        $"Plexus runs on Linux only (it is built on epoll, futexes, memfd and SCM_RIGHTS); this is {RuntimeInformation.OSDescription}.");
}
