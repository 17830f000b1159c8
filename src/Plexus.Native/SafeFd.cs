using Microsoft.Win32.SafeHandles;

namespace Plexus.Native;

/// <summary>An owned Unix file descriptor that is closed exactly once.</summary>
public sealed class SafeFd : SafeHandleMinusOneIsInvalid
{
    /// <summary>Takes ownership of <paramref name="fd"/>.</summary>
    public SafeFd(int fd) : base(ownsHandle: true) => SetHandle(fd);

    /// <summary>The descriptor number.</summary>
    public int Fd => (int)handle;

    /// <inheritdoc />
    protected override bool ReleaseHandle() => LibC.close((int)handle) == 0;
}
