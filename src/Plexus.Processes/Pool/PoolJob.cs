namespace Plexus.Processes;

/// <summary>One message to a worker: a batch of calls or items, and the promise of their results.</summary>
internal abstract class PoolJob(long id, PoolTarget target, byte[] payload, byte kind)
{
    public long Id { get; } = id;
    public PoolTarget Target { get; } = target;
    public byte[] Payload { get; } = payload;
    public byte Kind { get; } = kind;
    public LinkedListNode<PoolJob> Node => _node ??= new LinkedListNode<PoolJob>(this);
    public CancellationTokenRegistration Registration { get; set; }
    public long SentAt { get; set; }
    private LinkedListNode<PoolJob>? _node;

    public abstract bool IsDone { get; }

    /// <summary>Reads the results; <paramref name="payload"/> is valid only during the call.</summary>
    public abstract void Complete(ReadOnlyMemory<byte> payload, bool raw);
    public abstract void Fail(Exception error);
    public abstract void Cancel(CancellationToken token);
}
