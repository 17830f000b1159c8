using Plexus.Processes.Serialization;
using MessagePack;

namespace Plexus.Processes;

/// <summary>
/// A lock served by a <see cref="ProcessManager"/> (Python's <c>Manager().Lock()</c>). Held by a
/// connection (one per process); a process that dies holding it releases it. Releasing a lock that
/// is not held throws <see cref="SynchronizationLockException"/>, as <see cref="Monitor.Exit"/> does.
/// </summary>
public sealed class ManagedLock : ManagedProxy, IProcessShareable<ManagedLock>
{
    internal ManagedLock(ManagerClient client, int id) : base(client, id, "lock") { }

    static ManagedLock IProcessShareable<ManagedLock>.ReadShared(ref MessagePackReader reader, HandleTable handles)
    {
        (ManagerClient client, int id, _) = ReadProxy(ref reader);
        return new ManagedLock(client, id);
    }

    /// <summary>Waits until the lock is free and takes it (Python's <c>lock.acquire()</c>).</summary>
    public void Acquire() => Call("acquire");

    /// <summary>Takes the lock if it is free; false otherwise (Python's <c>acquire(False)</c>).</summary>
    public bool TryAcquire() => As<bool>(Call("tryacquire"));

    /// <summary>Releases the lock (Python's <c>lock.release()</c>).</summary>
    public void Release() => Call("release");

    /// <summary>Acquires the lock and returns a scope that releases it (Python's <c>with lock:</c>).</summary>
    public Scope Hold()
    {
        Acquire();
        return new Scope(this);
    }

    /// <summary>Releases the lock when disposed.</summary>
    public readonly struct Scope : IDisposable, IEquatable<Scope>
    {
        private readonly ManagedLock _lock;

        internal Scope(ManagedLock owner) => _lock = owner;

        /// <summary>Releases the lock.</summary>
        public void Dispose() => _lock?.Release();

        /// <inheritdoc />
        public bool Equals(Scope other) => ReferenceEquals(_lock, other._lock);

        /// <inheritdoc />
        public override bool Equals(object? obj) => obj is Scope s && Equals(s);

        /// <inheritdoc />
        public override int GetHashCode() => _lock?.GetHashCode() ?? 0;

        /// <summary>Equality.</summary>
        public static bool operator ==(Scope left, Scope right) => left.Equals(right);

        /// <summary>Inequality.</summary>
        public static bool operator !=(Scope left, Scope right) => !left.Equals(right);
    }
}
