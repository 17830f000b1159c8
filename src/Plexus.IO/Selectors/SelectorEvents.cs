namespace Plexus.IO.Selectors;

/// <summary>
/// What a registration waits for and what a <see cref="Selector.Select"/> reports; mirrors
/// Python's <c>selectors.EVENT_READ</c>/<c>EVENT_WRITE</c>, plus the error and hang-up conditions
/// the kernel reports whether or not they were asked for.
/// </summary>
[Flags]
public enum SelectorEvents
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>The descriptor is readable (data, a pending connection, or end of stream).</summary>
    Read = 1,

    /// <summary>The descriptor is writable (send buffer space, or a connect finished).</summary>
    Write = 2,

    /// <summary>Reported only: an error is pending on the descriptor (<c>EPOLLERR</c>/<c>POLLERR</c>/<c>POLLNVAL</c>, or closed under <c>select</c>).</summary>
    Error = 4,

    /// <summary>Reported only: the peer hung up (<c>EPOLLHUP</c>/<c>POLLHUP</c>).</summary>
    HangUp = 8,
}
