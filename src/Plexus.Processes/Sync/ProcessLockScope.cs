using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// Holds a process lock (or a semaphore slot) until disposed: <c>using (myLock.Acquire()) { ... }</c>,
/// the equivalent of Python's <c>with lock:</c>.
/// </summary>
public readonly struct ProcessLockScope : IDisposable, IEquatable<ProcessLockScope>
{
    private readonly IProcessLockCore? _lock;

    internal ProcessLockScope(IProcessLockCore held) => _lock = held;

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
