using System.Threading.Tasks.Sources;

namespace Plexus.IO;

/// <summary>
/// Re-issues a pending <see cref="ValueTask{T}"/> whose continuation then runs inline where it
/// completes (the loop thread) instead of being posted to the caller's context. The loop is that
/// context, so posting would only add a hop and allocate a callback per completion. One pending
/// operation at a time; the owner (a reader) already allows no more.
/// </summary>
internal sealed class LoopContinuation<T> : IValueTaskSource<T>, IValueTaskSource
{
    private readonly Action _invoke;
    private ValueTask<T> _inner;
    private Action<object?>? _continuation;
    private object? _state;
    private short _version;

    internal LoopContinuation() => _invoke = Invoke;

    /// <summary>Returns <paramref name="inner"/> itself when it has completed, otherwise a task that completes with it.</summary>
    internal ValueTask<T> Wrap(ValueTask<T> inner)
    {
        if (inner.IsCompleted)
        {
            return inner;
        }
        _inner = inner;
        return new ValueTask<T>(this, _version);
    }

    /// <summary>The untyped form, for operations whose result the caller drops.</summary>
    internal ValueTask WrapUntyped(ValueTask<T> inner)
    {
        if (inner.IsCompletedSuccessfully)
        {
            return ValueTask.CompletedTask;
        }
        if (inner.IsCompleted)
        {
            return new ValueTask(inner.AsTask());
        }
        _inner = inner;
        return new ValueTask(this, _version);
    }

    public ValueTaskSourceStatus GetStatus(short token)
    {
        Check(token);
        ValueTask<T> inner = _inner;
        return !inner.IsCompleted ? ValueTaskSourceStatus.Pending
            : inner.IsCompletedSuccessfully ? ValueTaskSourceStatus.Succeeded
            : inner.IsCanceled ? ValueTaskSourceStatus.Canceled
            : ValueTaskSourceStatus.Faulted;
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        Check(token);
        _continuation = continuation;
        _state = state;
        // No scheduling context: the inner operation completes on the loop thread and the continuation runs right there.
        _inner.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_invoke);
    }

    public T GetResult(short token)
    {
        Check(token);
        ValueTask<T> inner = _inner;
        _inner = default;
        _version++;
        return inner.GetAwaiter().GetResult();
    }

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    private void Invoke()
    {
        Action<object?> continuation = _continuation!;
        object? state = _state;
        _continuation = null;
        _state = null;
        continuation(state);
    }

    private void Check(short token)
    {
        if (token != _version)
        {
            throw new InvalidOperationException("a stream read's ValueTask was awaited twice or after a later read started; await each read once");
        }
    }
}
