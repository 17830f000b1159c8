using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// Holds a process lock, a semaphore slot or a <see cref="ManagedLock"/> until disposed:
/// <c>using (myLock.Acquire()) { ... }</c>, the equivalent of Python's <c>with lock:</c>. The default
/// value holds nothing and its <see cref="Dispose"/> does nothing.
/// </summary>
public readonly struct ProcessLockScope : IDisposable, IEquatable<ProcessLockScope>
{
    private readonly IReleasable? _lock;

    internal ProcessLockScope(IReleasable held) => _lock = held;

    /// <summary>Releases what <c>Acquire</c> took.</summary>
    public void Dispose() => _lock?.Release();

    /// <inheritdoc />
    public bool Equals(ProcessLockScope other) => ReferenceEquals(_lock, other._lock);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ProcessLockScope other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _lock?.GetHashCode() ?? 0;

    /// <summary>Whether both scopes hold the same lock.</summary>
    public static bool operator ==(ProcessLockScope left, ProcessLockScope right) => left.Equals(right);

    /// <summary>Whether the scopes hold different locks.</summary>
    public static bool operator !=(ProcessLockScope left, ProcessLockScope right) => !left.Equals(right);
}
