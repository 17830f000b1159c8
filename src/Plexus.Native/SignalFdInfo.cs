using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary>
/// One signal read from a <see cref="SignalFd"/> (<c>struct signalfd_siginfo</c>, 128 bytes); only
/// the fields signal-driven I/O uses are named.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
public readonly struct SignalFdInfo
{
    [FieldOffset(0)] private readonly uint _signal;
    [FieldOffset(8)] private readonly int _code;
    [FieldOffset(20)] private readonly int _fd;
    [FieldOffset(28)] private readonly uint _band;

    /// <summary>The signal number.</summary>
    public int Signal => (int)_signal;

    /// <summary><c>si_code</c>: for signal-driven I/O, <c>POLL_IN</c> (1), <c>POLL_OUT</c> (2), <c>POLL_ERR</c> (4), <c>POLL_HUP</c> (6)...</summary>
    public int Code => _code;

    /// <summary>For a signal-driven I/O signal queued with <c>F_SETSIG</c>: the descriptor that became ready.</summary>
    public int Fd => _fd;

    /// <summary>For a signal-driven I/O signal: the poll events (<c>POLLIN</c>, <c>POLLOUT</c>...) that occurred.</summary>
    public uint Band => _band;
}
