using System.Runtime.InteropServices;
using Plexus.Native;
using static Plexus.Native.IoUringCalls;

namespace Plexus.IO;

/// <summary>
/// A ring of provided buffers registered with an <see cref="IoUring"/> as one buffer group: a
/// receive queued with the group takes a free buffer only when data arrives, so ten thousand idle
/// connections hold no receive buffers. The owner gives a buffer back with <see cref="Recycle"/>
/// once it has used the data.
/// </summary>
/// <remarks>Not thread-safe; used from the ring's thread. Invariant: a buffer is either in the ring
/// (the kernel may fill it) or held by the owner between a completion and its <see cref="Recycle"/>.</remarks>
public sealed unsafe class IoUringBufferRing : IDisposable
{
    private const int MaxEntries = 32768;

    private readonly IoUring _owner;
    private readonly IoUringBuf* _ring;
    private readonly nuint _ringSize;
    private readonly byte* _buffers;
    private readonly ushort* _tail;
    private readonly ushort _mask;
    private ushort _localTail;
    private bool _disposed;

    internal IoUringBufferRing(IoUring owner, ushort groupId, int count, int size)
    {
        if (count < 1 || count > MaxEntries || (count & (count - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"a buffer ring holds a power of two from 1 to {MaxEntries} buffers");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        _owner = owner;
        GroupId = groupId;
        Count = count;
        BufferSize = size;
        _mask = (ushort)(count - 1);
        _ringSize = (nuint)(count * sizeof(IoUringBuf));
        // The kernel wants the ring page-aligned; an anonymous mapping is.
        _ring = (IoUringBuf*)MapAnonymous(_ringSize, "io_uring buffer ring");
        _buffers = (byte*)NativeMemory.AlignedAlloc((nuint)count * (nuint)size, 64);
        // The ring's tail overlays the last 16 bits of the first entry (io_uring_buf_ring).
        _tail = (ushort*)((byte*)_ring + 14);
        IoUringBufReg reg = new() { RingAddr = (ulong)_ring, RingEntries = (uint)count, Bgid = groupId };
        int registered = Register(owner.Fd, RegisterPbufRing, &reg, 1);
        if (registered < 0)
        {
            var error = new ErrnoException("io_uring_register(IORING_REGISTER_PBUF_RING)", -registered, $"buffer group {groupId}");
            Unmap(_ring, _ringSize);
            NativeMemory.AlignedFree(_buffers);
            throw error;
        }
        for (int i = 0; i < count; i++)
        {
            Recycle((ushort)i);
        }
    }

    /// <summary>The buffer group id receives name.</summary>
    public ushort GroupId { get; }

    /// <summary>How many buffers the ring holds.</summary>
    public int Count { get; }

    /// <summary>Each buffer's size in bytes.</summary>
    public int BufferSize { get; }

    /// <summary>The bytes a receive completion put in its buffer.</summary>
    public ReadOnlySpan<byte> Received(in IoUringCompletion completion)
    {
        if (!completion.HasBuffer || completion.Result < 0)
        {
            throw new ArgumentException("this completion carries no provided buffer", nameof(completion));
        }
        return new ReadOnlySpan<byte>(BufferAddress(completion.BufferId), completion.Result);
    }

    /// <summary>The address of buffer <paramref name="id"/> (valid until <see cref="Dispose"/>).</summary>
    public nint Address(ushort id) => (nint)BufferAddress(id);

    /// <summary>Gives buffer <paramref name="id"/> back to the kernel for a later receive.</summary>
    public void Recycle(ushort id)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (id >= Count) throw new ArgumentOutOfRangeException(nameof(id), id, $"the ring has {Count} buffers");
        IoUringBuf* entry = &_ring[_localTail & _mask];
        entry->Addr = (ulong)BufferAddress(id);
        entry->Len = (uint)BufferSize;
        entry->Bid = id;
        _localTail++;
        // The tail store publishes the entry: release order, so the kernel never sees a half-written entry.
        Volatile.Write(ref *_tail, _localTail);
    }

    /// <summary>Unregisters the group and frees its memory. Receives still armed with it fail.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        IoUringBufReg reg = new() { Bgid = GroupId };
        Register(_owner.Fd, UnregisterPbufRing, &reg, 1);
        Unmap(_ring, _ringSize);
        NativeMemory.AlignedFree(_buffers);
    }

    private byte* BufferAddress(ushort id) => _buffers + (nint)id * BufferSize;
}
