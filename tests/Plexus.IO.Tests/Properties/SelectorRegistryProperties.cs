using CsCheck;
using Plexus.IO.Selectors;
using Plexus.Native;

namespace Plexus.IO.Tests.Properties;

/// <summary>
/// The selector registry against a model: random register / modify / unregister on real sockets, after
/// each step the keys agree with a dictionary, and a zero-timeout select reports exactly the registered
/// interest that is ready (a socket with unread data is readable; every connected socket is writable).
/// </summary>
public class SelectorRegistryProperties
{
    private const int Sockets = 6;

    private static readonly Gen<(int Kind, int Socket, SelectorEvents Events, int Data)> s_operation =
        Gen.Select(Gen.Int[0, 4], Gen.Int[0, Sockets - 1], Gen.Int[1, 3].Select(e => (SelectorEvents)e), Gen.Int[0, 99]);

    public static TheoryData<string> Backends => ["epoll", "epoll-edge", "poll", "select"];

    [Theory]
    [MemberData(nameof(Backends))]
    public void Registry_agrees_with_a_model_and_select_reports_exactly_the_ready_interest(string backend)
    {
        s_operation.Array[1, 40].Sample(operations => Run(backend, operations), iter: 150, threads: 1);
    }

    private static Selector Create(string backend) => backend switch
    {
        "epoll" => new EpollSelector(),
        "epoll-edge" => new EpollSelector(EpollTrigger.Edge),
        "poll" => new PollSelector(),
        _ => new SelectSelector(),
    };

    private static void Run(string backend, (int Kind, int Socket, SelectorEvents Events, int Data)[] operations)
    {
        var pairs = new (int Fd, int Peer)[Sockets];
        for (int i = 0; i < Sockets; i++)
        {
            pairs[i] = SocketPair.Create(nonBlocking: true);
            if (i % 2 == 0)
            {
                Descriptors.WriteAll(pairs[i].Peer, [1], default);  // even sockets have data to read
            }
        }
        try
        {
            using Selector selector = Create(backend);
            var model = new Dictionary<int, (SelectorEvents Events, int Data)>();
            foreach ((int kind, int socket, SelectorEvents events, int data) in operations)
            {
                int fd = pairs[socket].Fd;
                bool known = model.ContainsKey(fd);
                switch (kind)
                {
                    case 0 when known:
                        Assert.Throws<ArgumentException>(() => selector.Register(fd, events, data));
                        break;
                    case 0:
                        selector.Register(fd, events, data);
                        model[fd] = (events, data);
                        break;
                    case 1 or 2 when !known:
                        Assert.Throws<KeyNotFoundException>(() => selector.Modify(fd, events));
                        break;
                    case 1:
                        selector.Modify(fd, events, data);
                        model[fd] = (events, data);
                        break;
                    case 2:
                        selector.Modify(fd, events);
                        model[fd] = (events, model[fd].Data);
                        break;
                    case 3 when !known:
                        Assert.Throws<KeyNotFoundException>(() => selector.Unregister(fd));
                        break;
                    case 3:
                        Assert.False(selector.Unregister(fd).IsRegistered);
                        model.Remove(fd);
                        break;
                    default:
                        CheckSelect(selector, model, pairs, backend);
                        break;
                }
                CheckKeys(selector, model, pairs);
            }
            CheckSelect(selector, model, pairs, backend);
        }
        finally
        {
            foreach ((int fd, int peer) in pairs)
            {
                Descriptors.Close(fd);
                Descriptors.Close(peer);
            }
        }
    }

    private static void CheckKeys(Selector selector, Dictionary<int, (SelectorEvents Events, int Data)> model, (int Fd, int Peer)[] pairs)
    {
        Assert.Equal(model.Count, selector.Count);
        foreach ((int fd, int _) in pairs)
        {
            bool found = selector.TryGetKey(fd, out SelectorKey? key);
            Assert.Equal(model.TryGetValue(fd, out (SelectorEvents Events, int Data) expected), found);
            if (found)
            {
                Assert.Equal((expected.Events, (object)expected.Data), (key!.Events, key.Data));
                Assert.True(key.IsRegistered);
            }
        }
    }

    private static void CheckSelect(Selector selector, Dictionary<int, (SelectorEvents Events, int Data)> model, (int Fd, int Peer)[] pairs, string backend)
    {
        if (backend == "epoll-edge")
        {
            return;  // an edge-triggered selector reports a readiness once, not on every select: no model of that here
        }
        var expected = new Dictionary<int, SelectorEvents>();
        foreach ((int fd, (SelectorEvents events, int _)) in model)
        {
            bool readable = Array.FindIndex(pairs, p => p.Fd == fd) % 2 == 0;
            SelectorEvents ready = (events & SelectorEvents.Write) | (readable ? events & SelectorEvents.Read : 0);
            if (ready != SelectorEvents.None)
            {
                expected[fd] = ready;
            }
        }
        var actual = new Dictionary<int, SelectorEvents>();
        foreach (SelectorReady ready in selector.Select(TimeSpan.Zero))
        {
            Assert.True(actual.TryAdd(ready.Key.Fd, ready.Events & (SelectorEvents.Read | SelectorEvents.Write)), $"descriptor {ready.Key.Fd} reported twice");
        }
        Assert.Equal(expected.OrderBy(e => e.Key), actual.OrderBy(e => e.Key));
    }
}
