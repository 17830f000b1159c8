using Plexus.Processes;

namespace Plexus.Samples;

/// <summary>
/// Beyond the tutorial: shareable objects go wherever an argument goes. Python's
/// <c>Pool(initializer=init, initargs=(lock, total))</c>, a lock handed over as a queue item, and a
/// pipe end sent through another pipe (see "What can travel where" in docs/processes.md).
/// </summary>
internal static class S25
{
    // Each worker's own references, set by the initializer (Python's `global lock`).
    private static ProcessLock? s_lock;
    private static ProcessValue<int>? s_total;

    public static int Run(string[] args)
    {
        using var gate = new ProcessLock();
        using var total = new ProcessValue<int>(0, synchronized: false);
        using (var pool = new ProcessPool(2, Init, [gate, total]))
        {
            pool.Map(Add, Enumerable.Repeat(1_000, 4), chunkSize: 1);
        }
        Console.WriteLine($"total = {total.Value}");

        using var locks = new ProcessQueue<ProcessLock>();
        (Connection mine, Connection carrier) = ProcessPipe.Create();
        using ChildProcess child = ChildProcess.Create(Child, locks, carrier).Start();
        locks.Put(gate);
        (Connection reply, Connection replyEnd) = ProcessPipe.Create();
        mine.Send(replyEnd);
        Console.WriteLine(reply.Receive<string>());
        child.Join();
        return child.ExitCode ?? 1;
    }

    private static void Init(ProcessLock gate, ProcessValue<int> total) => (s_lock, s_total) = (gate, total);

    private static int Add(int times)
    {
        for (int i = 0; i < times; i++)
        {
            using (s_lock!.Acquire())
            {
                s_total!.Value++;
            }
        }
        return times;
    }

    private static void Child(ProcessQueue<ProcessLock> locks, Connection carrier)
    {
        using ProcessLock gate = locks.Get();
        using Connection reply = carrier.Receive<Connection>();
        using (gate.Acquire())
        {
            reply.Send($"child {ProcessInfo.Pid} took the parent's lock and answers on a pipe end it was sent");
        }
    }
}
