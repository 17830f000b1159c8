using MessagePack;

namespace Plexus.Processes;

/// <summary>A parent → worker frame: the requests sent together (none: stop).</summary>
[MessagePackFormatter(typeof(PoolRequestBatchFormatter))]
internal sealed class PoolRequestBatch
{
    public List<PoolRequest> Requests { get; } = [];
}
