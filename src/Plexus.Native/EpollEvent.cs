using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary>
/// One readiness report from <see cref="Epoll.Wait"/> (<c>struct epoll_event</c>). On x86_64 the
/// kernel declares it packed, so it is 12 bytes: the event mask followed directly by the caller's data.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct EpollEvent
{
    /// <summary>The events that are ready (<see cref="Epoll.In"/>, <see cref="Epoll.Out"/>, ...), or wanted when registering.</summary>
    public uint Events;

    /// <summary>The value given when the descriptor was registered (usually the descriptor or an index).</summary>
    public ulong Data;
}
