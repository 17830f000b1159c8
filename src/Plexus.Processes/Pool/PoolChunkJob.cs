using System.Runtime.InteropServices;

namespace Plexus.Processes;

/// <summary>A map chunk (or a starmap batch): its results as an array.</summary>
internal sealed class PoolChunkJob<TResult>(long id, PoolTarget target, byte[] payload, byte kind, List<TResult>? into, int offset, int length)
    : PoolJob(id, target, payload, kind)
{
    private readonly TaskCompletionSource<TResult[]> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<TResult[]> Task => _completion.Task;

    public override bool IsDone => _completion.Task.IsCompleted;

    public override void Complete(ReadOnlyMemory<byte> payload, bool raw)
    {
        Registration.Dispose();
        TResult[] results;
        try
        {
            if (into is not null)
            {
                // Straight into the map's list (sized up front; chunks fill disjoint slices).
                Target.ReadResults(payload, raw, CollectionsMarshal.AsSpan(into).Slice(offset, length));
                results = [];
            }
            else
            {
                results = Target.ReadResults<TResult>(payload, raw);
            }
        }
        catch (Exception e)
        {
            _completion.TrySetException(e);
            return;
        }
        _completion.TrySetResult(results);
    }

    public override void Fail(Exception error)
    {
        Registration.Dispose();
        _completion.TrySetException(error);
    }

    public override void Cancel(CancellationToken token) => _completion.TrySetCanceled(token);
}
