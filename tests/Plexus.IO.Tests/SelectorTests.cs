using System.Diagnostics;
using Plexus.IO.Selectors;
using Plexus.Native;

namespace Plexus.IO.Tests;

/// <summary>
/// Behaviour every selector shares, after CPython's <c>Lib/test/test_selectors.py</c>; one derived
/// class per backend runs them all.
/// </summary>
public abstract class SelectorTests
{
    private protected abstract Selector Create();

    /// <summary>Whether the backend reports a registered descriptor that was closed (select, poll) or silently drops it (epoll).</summary>
    private protected abstract bool ReportsClosedDescriptor { get; }

    /// <summary>How many socket pairs the many-descriptors test uses (select is bounded by FD_SETSIZE).</summary>
    private protected virtual int ManyPairs => 1500;

    [Fact]
    public void Register_returns_a_key_with_descriptor_events_and_data()
    {
        using Selector sel = Create();
        var (a, b) = Fds.Pair();
        using (a)
        using (b)
        {
            SelectorKey key = sel.Register(a, SelectorEvents.Read, "data");
            Assert.Same(a, key.FileObject);
            Assert.Equal(a.Fd, key.Fd);
            Assert.Equal(SelectorEvents.Read, key.Events);
            Assert.Equal("data", key.Data);
            Assert.Same(key, sel.GetKey(a));
            Assert.Same(key, sel.GetKey(a.Fd));
            Assert.Equal(1, sel.Count);
        }
    }

    [Fact]
    public void Register_twice_is_refused()
    {
        using Selector sel = Create();
        var (a, b) = Fds.Pair();
        using (a)
        using (b)
        {
            sel.Register(a.Fd, SelectorEvents.Read);
            var e = Assert.Throws<ArgumentException>(() => sel.Register(a.Fd, SelectorEvents.Write));
            Assert.Contains("already registered", e.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => sel.Register(a, SelectorEvents.Read));
        }
    }

    [Fact]
    public void Register_with_invalid_events_is_refused()
    {
        using Selector sel = Create();
        var (a, b) = Fds.Pair();
        using (a)
        using (b)
        {
            Assert.Throws<ArgumentException>(() => sel.Register(a.Fd, SelectorEvents.None));
            Assert.Throws<ArgumentException>(() => sel.Register(a.Fd, SelectorEvents.Error));
            Assert.Throws<ArgumentException>(() => sel.Register(a.Fd, (SelectorEvents)64));
            Assert.Equal(0, sel.Count);
        }
    }

    [Fact]
    public void Register_a_closed_descriptor_fails_with_EBADF()
    {
        using Selector sel = Create();
        var (a, b) = Fds.Pair();
        int fd = a.Fd;
        a.Dispose();
        b.Dispose();
        var e = Assert.Throws<ErrnoException>(() => sel.Register(fd, SelectorEvents.Read));
        Assert.Equal(Errnos.EBADF, e.Errno);
        Assert.Contains("not open", e.Message, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => sel.Register(a, SelectorEvents.Read));
        Assert.Throws<ArgumentOutOfRangeException>(() => sel.Register(-1, SelectorEvents.Read));
    }

    [Fact]
    public void Register_a_disposed_socket_is_refused()
    {
        using Selector sel = Create();
        var (client, server) = Fds.TcpPair();
        client.Dispose();
        server.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sel.Register(client, SelectorEvents.Read));
    }

    [Fact]
    public void Unregister_unknown_is_refused()
    {
        using Selector sel = Create();
        var (a, b) = Fds.Pair();
        using (a)
        using (b)
        {
            var e = Assert.Throws<KeyNotFoundException>(() => sel.Unregister(a.Fd));
            Assert.Contains("not registered", e.Message, StringComparison.Ordinal);
            sel.Register(a, SelectorEvents.Read);
            Assert.Throws<KeyNotFoundException>(() => sel.Unregister(b));
            SelectorKey key = sel.Unregister(a);
            Assert.False(key.IsRegistered);
            Assert.Throws<KeyNotFoundException>(() => sel.Unregister(a));
            Assert.Throws<KeyNotFoundException>(() => sel.GetKey(a.Fd));
            Assert.Equal(0, sel.Count);
        }
    }

    [Fact]
    public void Unregister_works_after_the_descriptor_was_closed()
    {
        using Selector sel = Create();
        var (a, b) = Fds.Pair();
        var (client, server) = Fds.TcpPair();
        sel.Register(a, SelectorEvents.Read);
        sel.Register(client, SelectorEvents.Read);
        int fd = a.Fd;
        a.Dispose();
        client.Dispose();
        Assert.Equal(fd, sel.Unregister(a).Fd);
        Assert.Same(client, sel.Unregister(client).FileObject);
        Assert.Equal(0, sel.Count);
        b.Dispose();
        server.Dispose();
    }

    [Fact]
    public void Modify_changes_events_and_data()
    {
        using Selector sel = Create();
        var (a, b) = Fds.Pair();
        using (a)
        using (b)
        {
            sel.Register(a.Fd, SelectorEvents.Read, "first");
            Assert.True(sel.Select(TimeSpan.Zero).IsEmpty);

            SelectorKey key = sel.Modify(a.Fd, SelectorEvents.Write);
            Assert.Equal("first", key.Data);
            ReadOnlySpan<SelectorReady> ready = sel.Select(TimeSpan.Zero);
            Assert.Equal(1, ready.Length);
            Assert.Equal(SelectorEvents.Write, ready[0].Events);

            sel.Modify(a.Fd, SelectorEvents.Read | SelectorEvents.Write, "second");
            Assert.Equal("second", sel.GetKey(a.Fd).Data);
            Fds.Write(b);
            ready = sel.Select(TimeSpan.Zero);
            Assert.Equal(SelectorEvents.Read | SelectorEvents.Write, ready[0].Events);

            sel.Modify(a.Fd, SelectorEvents.Write, null);
            Assert.Null(sel.GetKey(a.Fd).Data);
            Assert.Throws<KeyNotFoundException>(() => sel.Modify(b.Fd, SelectorEvents.Read));
            Assert.Throws<ArgumentException>(() => sel.Modify(a.Fd, SelectorEvents.None));
        }
    }

    [Fact]
    public void Select_reports_readable_and_writable_with_their_keys()
    {
        using Selector sel = Create();
        var (a, b) = Fds.Pair();
        using (a)
        using (b)
        {
            SelectorKey ka = sel.Register(a, SelectorEvents.Read, "reader");
            SelectorKey kb = sel.Register(b, SelectorEvents.Write, "writer");
            ReadOnlySpan<SelectorReady> ready = sel.Select(TimeSpan.Zero);
            Assert.Equal(1, ready.Length);
            Assert.Same(kb, ready[0].Key);
            Assert.Equal(SelectorEvents.Write, ready[0].Events);

            Fds.Write(b, 5);
            var found = new Dictionary<SelectorKey, SelectorEvents>();
            foreach ((SelectorKey key, SelectorEvents events) in sel.Select(TimeSpan.FromSeconds(5)))
            {
                found[key] = events;
            }
            Assert.Equal(SelectorEvents.Read, found[ka]);
            Assert.Equal(SelectorEvents.Write, found[kb]);
        }
    }

    [Fact]
    public void Select_times_out_no_earlier_than_asked()
    {
        using Selector sel = Create();
        var (a, b) = Fds.Pair();
        using (a)
        using (b)
        {
            sel.Register(a, SelectorEvents.Read);
            var watch = Stopwatch.StartNew();
            Assert.True(sel.Select(TimeSpan.FromMilliseconds(100)).IsEmpty);
            Assert.InRange(watch.Elapsed.TotalMilliseconds, 99, 5000);
            watch.Restart();
            Assert.True(sel.Select(TimeSpan.Zero).IsEmpty);
            Assert.True(sel.Select(TimeSpan.FromMilliseconds(-5)).IsEmpty);
            Assert.InRange(watch.Elapsed.TotalMilliseconds, 0, 2000);
        }
    }

    [Fact]
    public void Select_with_no_registrations_just_waits()
    {
        using Selector sel = Create();
        var watch = Stopwatch.StartNew();
        Assert.True(sel.Select(TimeSpan.FromMilliseconds(30)).IsEmpty);
        Assert.True(watch.Elapsed.TotalMilliseconds >= 29);
    }

    [Fact]
    public void Level_triggered_reports_again_until_drained()
    {
        using Selector sel = Create();
        var (a, b) = Fds.Pair();
        using (a)
        using (b)
        {
            sel.Register(a, SelectorEvents.Read);
            Fds.Write(b, 10);
            Assert.Equal(1, sel.Select(TimeSpan.FromSeconds(5)).Length);
            Assert.Equal(1, sel.Select(TimeSpan.Zero).Length);
            Assert.Equal(3, Fds.ReadSome(a, 3));
            Assert.Equal(1, sel.Select(TimeSpan.Zero).Length);
            Fds.Drain(a);
            Assert.True(sel.Select(TimeSpan.Zero).IsEmpty);
        }
    }

    [Fact]
    public void Peer_close_is_reported_as_readable_not_swallowed()
    {
        using Selector sel = Create();
        var (a, b) = Fds.Pair();
        using (a)
        {
            sel.Register(a, SelectorEvents.Read);
            b.Dispose();
            ReadOnlySpan<SelectorReady> ready = sel.Select(TimeSpan.FromSeconds(5));
            Assert.Equal(1, ready.Length);
            Assert.True(ready[0].Events.HasFlag(SelectorEvents.Read));
            if (sel is not SelectSelector)
            {
                Assert.True(ready[0].Events.HasFlag(SelectorEvents.HangUp), $"{ready[0].Events}");
            }
            Assert.Equal(0, Fds.ReadSome(a, 16));
        }
    }

    [Fact]
    public void A_registered_descriptor_closed_behind_the_selectors_back()
    {
        using Selector sel = Create();
        var (a, b) = Fds.Pair();
        using (b)
        {
            sel.Register(a.Fd, SelectorEvents.Read);
            a.Dispose();
            ReadOnlySpan<SelectorReady> ready = sel.Select(TimeSpan.FromMilliseconds(50));
            if (ReportsClosedDescriptor)
            {
                Assert.Equal(1, ready.Length);
                Assert.True(ready[0].Events.HasFlag(SelectorEvents.Error), $"{ready[0].Events}");
            }
            else
            {
                // epoll forgets a closed file by itself; nothing to report, and nothing crashes.
                Assert.True(ready.IsEmpty);
            }
            sel.Unregister(a.Fd);
        }
    }

    [Fact]
    public void Many_descriptors_report_exactly_the_active_ones()
    {
        using Selector sel = Create();
        var pairs = new List<(SafeFd A, SafeFd B)>();
        try
        {
            for (int i = 0; i < ManyPairs; i++)
            {
                var pair = Fds.Pair();
                pairs.Add(pair);
                sel.Register(pair.A, SelectorEvents.Read, i);
            }
            Assert.True(sel.Select(TimeSpan.Zero).IsEmpty);
            var expected = new HashSet<int>();
            for (int i = 0; i < pairs.Count; i += 7)
            {
                Fds.Write(pairs[i].B);
                expected.Add(i);
            }
            var seen = new HashSet<int>();
            foreach (SelectorReady ready in sel.Select(TimeSpan.FromSeconds(5)))
            {
                Assert.Equal(SelectorEvents.Read, ready.Events);
                seen.Add((int)ready.Key.Data!);
            }
            Assert.Equal(expected.Order(), seen.Order());
        }
        finally
        {
            foreach (var (a, b) in pairs)
            {
                a.Dispose();
                b.Dispose();
            }
        }
    }

    [Fact]
    public void Sockets_register_and_report_by_socket()
    {
        using Selector sel = Create();
        var (client, server) = Fds.TcpPair();
        using (client)
        using (server)
        {
            SelectorKey key = sel.Register(server, SelectorEvents.Read, "srv");
            client.Send(new byte[3]);
            ReadOnlySpan<SelectorReady> ready = sel.Select(TimeSpan.FromSeconds(5));
            Assert.Equal(1, ready.Length);
            Assert.Same(server, ready[0].Key.FileObject);
            Assert.Same(key, sel.GetKey(server));
            sel.Modify(server, SelectorEvents.Write, "w");
            Assert.Equal("w", key.Data);
        }
    }

    [Fact]
    public void Close_unregisters_everything_and_refuses_further_use()
    {
        Selector sel = Create();
        var (a, b) = Fds.Pair();
        using (a)
        using (b)
        {
            SelectorKey key = sel.Register(a, SelectorEvents.Read);
            sel.Close();
            Assert.True(sel.IsClosed);
            Assert.False(key.IsRegistered);
            Assert.Equal(0, sel.Count);
            Assert.Throws<ObjectDisposedException>(() => sel.Select(TimeSpan.Zero));
            Assert.Throws<ObjectDisposedException>(() => sel.Register(b, SelectorEvents.Read));
            sel.Dispose();
        }
    }

    [Fact]
    public void Steady_state_select_allocates_nothing()
    {
        using Selector sel = Create();
        var pairs = new List<(SafeFd A, SafeFd B)>();
        try
        {
            for (int i = 0; i < 50; i++)
            {
                var pair = Fds.Pair();
                pairs.Add(pair);
                sel.Register(pair.A, SelectorEvents.Read, i);
                if (i % 5 == 0)
                {
                    Fds.Write(pair.B);
                }
            }
            int sum = 0;
            for (int i = 0; i < 100; i++)
            {
                sum += sel.Select(TimeSpan.Zero).Length;
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                foreach (SelectorReady ready in sel.Select(TimeSpan.Zero))
                {
                    sum += ready.Key.Fd > 0 ? 1 : 0;
                }
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(0, allocated);
            Assert.Equal(101_000, sum);
        }
        finally
        {
            foreach (var (a, b) in pairs)
            {
                a.Dispose();
                b.Dispose();
            }
        }
    }
}

public sealed class SelectSelectorTests : SelectorTests
{
    private protected override Selector Create() => new SelectSelector();

    private protected override bool ReportsClosedDescriptor => true;

    private protected override int ManyPairs => 300;

    [Fact]
    public void A_descriptor_at_or_above_FD_SETSIZE_is_refused_with_the_reason()
    {
        using Selector sel = Create();
        var (a, b) = Fds.Pair();
        using (a)
        using (b)
        using (SafeFd high = Fds.DupAtLeast(a, SelectSelector.FdSetSize))
        {
            var e = Assert.ThrowsAny<ArgumentException>(() => sel.Register(high, SelectorEvents.Read));
            Assert.Contains("FD_SETSIZE", e.Message, StringComparison.Ordinal);
            Assert.Contains("EpollSelector", e.Message, StringComparison.Ordinal);
            Assert.Equal(0, sel.Count);
            sel.Register(a, SelectorEvents.Read);
        }
    }
}

public sealed class PollSelectorTests : SelectorTests
{
    private protected override Selector Create() => new PollSelector();

    private protected override bool ReportsClosedDescriptor => true;
}

public sealed class EpollSelectorTests : SelectorTests
{
    private protected override Selector Create() => new EpollSelector();

    private protected override bool ReportsClosedDescriptor => false;

    [Fact]
    public void Edge_triggered_reports_once_until_new_data()
    {
        using var sel = new EpollSelector(EpollTrigger.Edge);
        var (a, b) = Fds.Pair();
        using (a)
        using (b)
        {
            sel.Register(a, SelectorEvents.Read);
            Fds.Write(b, 10);
            Assert.Equal(1, sel.Select(TimeSpan.FromSeconds(5)).Length);
            // Not drained, yet not reported again: the edge has passed.
            Assert.True(sel.Select(TimeSpan.FromMilliseconds(20)).IsEmpty);
            Assert.Equal(3, Fds.ReadSome(a, 3));
            Assert.True(sel.Select(TimeSpan.Zero).IsEmpty);
            Fds.Write(b, 1);
            Assert.Equal(1, sel.Select(TimeSpan.FromSeconds(5)).Length);
            Assert.True(sel.Select(TimeSpan.Zero).IsEmpty);
        }
    }

    [Fact]
    public void One_shot_disarms_after_one_report_until_rearmed()
    {
        using var sel = new EpollSelector(EpollTrigger.OneShot);
        var (a, b) = Fds.Pair();
        using (a)
        using (b)
        {
            SelectorKey key = sel.Register(a, SelectorEvents.Read);
            Fds.Write(b, 1);
            Assert.Equal(1, sel.Select(TimeSpan.FromSeconds(5)).Length);
            Fds.Write(b, 1);
            Assert.True(sel.Select(TimeSpan.FromMilliseconds(20)).IsEmpty);
            sel.Rearm(key);
            Assert.Equal(1, sel.Select(TimeSpan.FromSeconds(5)).Length);
            Assert.True(sel.Select(TimeSpan.Zero).IsEmpty);
            sel.Unregister(key);
            Assert.Throws<InvalidOperationException>(() => sel.Rearm(key));
        }
    }

    [Fact]
    public void Default_selector_is_level_triggered_epoll_on_Linux()
    {
        using Selector sel = DefaultSelector.Create();
        var epoll = Assert.IsType<EpollSelector>(sel);
        Assert.Equal(EpollTrigger.Level, epoll.Trigger);
    }
}
