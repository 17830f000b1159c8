namespace Plexus.Processes.Tests;

/// <summary>Shareable objects sent through a <see cref="Connection"/>: their descriptors ride the frame (SCM_RIGHTS).</summary>
public class ConnectionHandoffTests
{
    private static void EchoOverReceived(Connection carrier)
    {
        using Connection received = carrier.Receive<Connection>();
        string text = received.Receive<string>();
        received.Send(text + " back");
    }

    [Fact]
    public void A_connection_sent_through_a_connection_works_in_the_receiver()
    {
        (Connection carrier, Connection childCarrier) = ProcessPipe.Create();
        (Connection mine, Connection theirs) = ProcessPipe.Create();
        using (carrier)
        using (mine)
        using (ChildProcess child = ChildProcess.Create(EchoOverReceived, childCarrier).Start())
        {
            carrier.Send(theirs);
            Assert.True(theirs.IsClosed, "a connection sent to another process moves there");

            mine.Send("hello");
            Assert.Equal("hello back", mine.Receive<string>());
            Assert.True(child.Join(TimeSpan.FromMinutes(1)));
            Assert.True(child.ExitCode == 0, child.Error?.Message);
            // The child held the only other copy: its exit reaches this end as EOF.
            Assert.Throws<EndOfStreamException>(() => mine.Receive<string>());
        }
    }

    private static void ReportLock(Connection carrier)
    {
        using ProcessLock gate = carrier.Receive<ProcessLock>();
        carrier.Send(gate.TryAcquire());
    }

    [Fact]
    public void A_lock_sent_through_a_connection_is_the_same_lock_in_the_receiver()
    {
        (Connection carrier, Connection childCarrier) = ProcessPipe.Create();
        using var gate = new ProcessLock();
        using (carrier)
        using (gate.Acquire())
        using (ChildProcess child = ChildProcess.Create(ReportLock, childCarrier).Start())
        {
            carrier.Send(gate);
            Assert.False(carrier.Receive<bool>(), "the child took a lock this process holds");
            Assert.True(child.Join(TimeSpan.FromMinutes(1)));
            Assert.True(child.ExitCode == 0, child.Error?.Message);
        }
    }

    [Fact]
    public void A_message_with_descriptors_read_as_bytes_is_refused_and_the_next_one_still_arrives()
    {
        (Connection a, Connection b) = ProcessPipe.Create();
        using var gate = new ProcessLock();
        using (a)
        using (b)
        {
            a.Send(gate);
            a.Send("after");
            var e = Assert.Throws<InvalidOperationException>(() => b.ReceiveBytes());
            Assert.Contains("Receive<T>", e.Message, StringComparison.Ordinal);
            Assert.Equal("after", b.Receive<string>());
        }
    }
}
