namespace Plexus.IO.Selectors;

/// <summary>
/// One registration in a <see cref="Selector"/>, like Python's <c>selectors.SelectorKey</c>
/// (<c>fileobj</c>, <c>fd</c>, <c>events</c>, <c>data</c>). Allocated once at registration and
/// reused by every <see cref="Selector.Select"/> that reports it.
/// </summary>
public sealed class SelectorKey
{
    internal SelectorKey(object fileObject, int fd, SelectorEvents events, object? data)
    {
        FileObject = fileObject;
        Fd = fd;
        Events = events;
        Data = data;
    }

    /// <summary>What was registered: a <see cref="System.Net.Sockets.Socket"/>, a <see cref="System.Runtime.InteropServices.SafeHandle"/> or the descriptor number (boxed <see cref="int"/>).</summary>
    public object FileObject { get; }

    /// <summary>The descriptor number.</summary>
    public int Fd { get; }

    /// <summary>The events this registration waits for (<see cref="SelectorEvents.Read"/> and/or <see cref="SelectorEvents.Write"/>).</summary>
    public SelectorEvents Events { get; internal set; }

    /// <summary>The caller's object attached at registration (Python's <c>key.data</c>), e.g. a callback.</summary>
    public object? Data { get; internal set; }

    /// <summary>False once the key was unregistered or its selector closed.</summary>
    public bool IsRegistered { get; internal set; } = true;

    /// <summary>A backend's slot for this key (the <c>pollfd</c> index for <see cref="PollSelector"/>).</summary>
    internal int Slot { get; set; } = -1;

    /// <inheritdoc />
    public override string ToString() => $"SelectorKey(fd={Fd}, events={Events}, data={Data})";
}

/// <summary>One entry of a <see cref="Selector.Select"/> result: the key and the events that are ready.</summary>
/// <param name="Key">The registration that is ready.</param>
/// <param name="Events">What is ready: a subset of the key's events, plus any error or hang-up.</param>
public readonly record struct SelectorReady(SelectorKey Key, SelectorEvents Events);
