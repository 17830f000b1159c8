using System.Runtime.CompilerServices;

namespace Plexus.Processes.Serialization;

/// <summary>
/// A lifetime for <see cref="ResourceSharer"/> entries whose payload is read more than once (a pool's
/// initializer arguments, read by every worker it ever starts): its entries can be fetched any number
/// of times until <see cref="Dispose"/>. An object written twice in one scope is shared once, so a
/// scope holds one entry per object, however many payloads carry it.
/// </summary>
internal sealed class ShareScope : IDisposable
{
    private readonly ConditionalWeakTable<object, byte[]> _written = new();
    private readonly List<long> _entries = [];
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <summary>What <paramref name="value"/> was written as in this scope before, if it was.</summary>
    public bool TryGet(object value, out byte[]? written) => _written.TryGetValue(value, out written);

    /// <summary>Records the entry <paramref name="id"/> and what <paramref name="value"/> was written as.</summary>
    /// <exception cref="ObjectDisposedException">The scope ended (the entry is revoked at once).</exception>
    public void Add(object value, long id, byte[] written)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                ResourceSharer.Instance.Revoke(id);
                throw new ObjectDisposedException(nameof(ShareScope), "the pool or channel this object was sent through has ended");
            }
            _entries.Add(id);
            _written.AddOrUpdate(value, written);
        }
    }

    /// <summary>Drops every entry of the scope (closing the descriptors the sharer kept).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (long id in _entries)
            {
                ResourceSharer.Instance.Revoke(id);
            }
            _entries.Clear();
            _written.Clear();
        }
    }
}
