using Plexus.IO.Selectors;
using Plexus.Native;

namespace Plexus.Bench;

/// <summary>
/// A selector with <c>n</c> registered idle sockets of which <c>active</c> stay readable (one
/// unread byte each, so level-triggered backends report them on every call). Both ends of each
/// socket pair are registered, so n sockets cost n descriptors.
/// </summary>
internal sealed class SelectorFixture : IDisposable
{
    private readonly List<SafeFd> _fds = [];

    public SelectorFixture(string backend, int n, int active)
    {
        Selector = backend switch
        {
            "select" => new SelectSelector(),
            "poll" => new PollSelector(),
            "epoll" => new EpollSelector(),
            _ => throw new ArgumentException("backend: select, poll or epoll", nameof(backend)),
        };
        try
        {
            for (int i = 0; i < n / 2; i++)
            {
                (int first, int second) = SocketPair.Create(nonBlocking: true);
                var a = new SafeFd(first);
                var b = new SafeFd(second);
                _fds.Add(a);
                _fds.Add(b);
                Selector.Register(a, SelectorEvents.Read);
                Selector.Register(b, SelectorEvents.Read);
                if (i < active)
                {
                    Descriptors.WriteSome(b.Fd, "x"u8);
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public Selector Selector { get; }

    public void Dispose()
    {
        Selector.Dispose();
        foreach (SafeFd fd in _fds)
        {
            fd.Dispose();
        }
    }
}
