using Plexus.Processes;

namespace Plexus.Faults;

/// <summary>
/// A child streaming numbered messages over a pipe. Kill: the parent's receive ends with an error
/// within 2 s, every message it got is whole and in order, the exit code says SIGKILL. Stop: all
/// 3,000 messages arrive in order and the child exits 0.
/// </summary>
internal sealed class ChildRow(Fault fault) : Row
{
    private const int Count = 3000;

    public override string Name => $"child-{Victim.Suffix(fault)}";

    public override string Description => fault == Fault.Kill
        ? "SIGKILL a child mid-stream: receive fails within 2 s, messages whole and in order, exit -9"
        : "SIGSTOP/SIGCONT a child mid-stream: all messages in order, exit 0";

    public override void Trial(Random random)
    {
        (Connection parentEnd, Connection childEnd) = ProcessPipe.Create();
        using (parentEnd)
        {
            using ChildProcess child = ChildProcess.Create(Stream, childEnd, fault == Fault.Kill ? long.MaxValue : Count).Start();
            childEnd.Dispose(); // else the parent's own copy keeps the pipe open past the child's death
            long next = 0;
            Exception? end = null;
            Task reader = Task.Factory.StartNew(() =>
            {
                try
                {
                    while (true)
                    {
                        long got = parentEnd.Receive<long>();
                        Check.That(got == next, $"message {got} arrived where {next} was due");
                        next++;
                    }
                }
                catch (FaultCheckException)
                {
                    throw;
                }
                catch (Exception e)
                {
                    end = e;
                }
            }, TaskCreationOptions.LongRunning);
            Check.Within(TimeSpan.FromSeconds(10), () => Volatile.Read(ref next) > 0 || reader.IsCompleted, "first message");
            Victim.Hit(child.Pid, fault, random);
            Check.That(reader.Wait(TimeSpan.FromSeconds(fault == Fault.Kill ? 2 : 20)), "receive did not end after the child's end");
            reader.GetAwaiter().GetResult();
            Check.That(child.Join(TimeSpan.FromSeconds(5)), "Join did not return within 5 s");
            if (fault == Fault.Kill)
            {
                Check.That(child.ExitCode == -9, $"exit code {child.ExitCode}, expected -9 (SIGKILL)");
                Check.That(end is not null, "no error after the child died");
                Check.Clear(end!, "receive after the child died");
            }
            else
            {
                Check.That(child.ExitCode == 0, $"exit code {child.ExitCode} after SIGCONT, expected 0");
                Check.That(next == Count, $"{next} of {Count} messages arrived");
            }
        }
    }

    private static void Stream(Connection connection, long count)
    {
        for (long i = 0; i < count; i++)
        {
            connection.Send(i);
        }
        connection.Close();
    }
}
