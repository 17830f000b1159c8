using System.Buffers;

namespace Plexus.Processes.Hosting;

/// <summary>
/// Where one launch argument is serialized: refuses to grow past <see cref="Limit"/> bytes, so an
/// argument too large for the launch frame fails before its bytes are allocated and copied.
/// </summary>
internal sealed class LaunchBuffer(int limit) : IBufferWriter<byte>
{
    private readonly ArrayBufferWriter<byte> _inner = new(256);

    /// <summary>The most bytes this buffer will hold.</summary>
    public int Limit { get; } = limit;

    public ReadOnlySpan<byte> WrittenSpan => _inner.WrittenSpan;

    public void Advance(int count) => _inner.Advance(count);

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Check(sizeHint);
        return _inner.GetMemory(sizeHint);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Check(sizeHint);
        return _inner.GetSpan(sizeHint);
    }

    private void Check(int sizeHint)
    {
        long needed = (long)_inner.WrittenCount + Math.Max(sizeHint, 1);
        if (needed > Limit)
        {
            throw new LaunchTooLargeException(needed);
        }
    }
}
