namespace Plexus.Faults;

/// <summary>Every row of the matrix, in the order <c>run.sh</c> runs them.</summary>
internal static class Rows
{
    public static IEnumerable<Row> All()
    {
        foreach (Fault fault in new[] { Fault.Kill, Fault.Stop })
        {
            yield return new ChildRow(fault);
            yield return new PoolWorkerRow(fault);
            yield return new ManagerRow(fault);
            yield return new LockHolderRow(fault);
            yield return new QueueProducerRow(fault);
            yield return new QueueConsumerRow(fault);
        }
        yield return new DescriptorParentRow();
        yield return new DescriptorChildRow();
        yield return new SharedMemoryRow();
        yield return new ParentKilledRow();
        foreach (string model in LabModels)
        {
            yield return new SlowlorisRow(model);
            yield return new HalfOpenRow(model);
            yield return new RstStormRow(model);
        }
    }

    /// <summary>The names <c>plexus serve --model</c> accepts (the lab's <c>ServerModel.All</c>).</summary>
    public static readonly string[] LabModels =
    [
        "threads", "processes", "select", "poll", "epoll", "epoll-et", "coroutines", "streams",
        "dotnet-async", "prefork", "nonblocking", "sigio", "io-uring",
    ];
}
