namespace Plexus.IO.Selectors;

/// <summary>Picks the most efficient selector for this OS, like Python's <c>selectors.DefaultSelector</c>.</summary>
public static class DefaultSelector
{
    /// <summary>An <see cref="EpollSelector"/> (level-triggered) on Linux.</summary>
    /// <exception cref="PlatformNotSupportedException">Not Linux: Plexus has no kqueue or IOCP backend yet.</exception>
    public static Selector Create()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException(
                "Plexus selectors run on Linux only (epoll, poll, select); this OS would need a kqueue or IOCP backend, which Plexus does not have");
        }
        return new EpollSelector();
    }
}
