namespace Plexus.Processes;

/// <summary>Parent → worker: one task (a batch of calls or items of one target), as read by the worker.</summary>
internal sealed class PoolRequest
{
    public long Id { get; set; }
    public int TargetId { get; set; }
    public byte Kind { get; set; }
    // Set only the first time a worker sees a target, so later tasks refer to it by id alone.
    public Target? Target { get; set; }
    // Valid until the worker's next receive (a slice of the connection's buffer).
    public ReadOnlyMemory<byte> Payload { get; set; }
}
