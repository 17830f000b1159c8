using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary>One descriptor watched by <see cref="Poll.Wait"/> (<c>struct pollfd</c>, 8 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct PollFd
{
    /// <summary>The descriptor; a negative one is skipped.</summary>
    public int Fd;

    /// <summary>The events wanted (<see cref="Poll.In"/>, <see cref="Poll.Out"/>).</summary>
    public short Events;

    /// <summary>The events that happened, set by the kernel (errors and hang-ups are reported unasked).</summary>
    public short REvents;
}
