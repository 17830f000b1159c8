using System.Buffers.Binary;
using Plexus.Processes;

namespace Plexus.Fuzz;

/// <summary>
/// <c>queue</c>: a <see cref="ProcessQueue{T}"/> consumer reading records another process wrote into the
/// shared ring (lengths, payloads, where the read index stands). Bytes 0-1 place the read index, byte 2
/// picks the item type, the rest is the written part of the ring. The oracles: only the documented errors
/// escape (a damaged ring, a serializer error), nothing outside the closed set is built, and the consumer
/// stops when the written data ends.
/// </summary>
internal static unsafe class QueueTarget
{
    private const int Capacity = 4096;
    private const int HeaderSize = 384;  // ProcessQueue's header, padded; the ring follows it
    private static readonly ProcessQueue<object?> s_objects = new(capacityBytes: Capacity);
    private static readonly ProcessQueue<byte[]> s_bytes = new(capacityBytes: Capacity);
    private static readonly ProcessQueue<FuzzRecord> s_records = new(capacityBytes: Capacity);

    // The indexes only grow (a consumer caches the write index it saw, trusting that): each input starts
    // past everything the previous one wrote.
    private static long s_base;

    public static void Run(byte[] input)
    {
        if (input.Length < 3)
        {
            return;
        }
        s_base += 2L * Capacity;
        long head = s_base + BinaryPrimitives.ReadUInt16LittleEndian(input) * 4L % Capacity;  // records start 4-byte aligned
        ReadOnlySpan<byte> written = input.AsSpan(3, Math.Min(input.Length - 3, Capacity));
        switch (input[2] % 3)
        {
            case 0: Drain(s_objects, head, written, o => ClosedSet.Check(o)); break;
            case 1: Drain(s_bytes, head, written, _ => { }); break;
            default: Drain(s_records, head, written, r => ClosedSet.Check(r)); break;
        }
    }

    private static void Drain<T>(ProcessQueue<T> queue, long head, ReadOnlySpan<byte> written, Action<T> check)
    {
        byte* memory = Internals.QueueMemory(queue);
        byte* ring = memory + HeaderSize;
        // The header's fields (QueueHeader): Tail at 16, Puts at 24, Head at 192, Takes at 200.
        *(long*)(memory + 16) = head + written.Length;
        *(long*)(memory + 24) = 0;
        *(long*)(memory + 192) = head;
        *(long*)(memory + 200) = 0;
        for (int i = 0; i < written.Length; i++)
        {
            ring[(head + i) % Capacity] = written[i];
        }
        for (int taken = 0; taken <= Capacity / 4; taken++)
        {
            try
            {
                if (!queue.TryGet(out T item))
                {
                    return;
                }
                check(item);
            }
            catch (InvalidOperationException e) when (e.Message.Contains("damaged", StringComparison.Ordinal))
            {
                return;
            }
            catch (Exception e) when (Expected.IsSerializerError(e))
            {
            }
        }
        throw new FuzzFinding($"more than {Capacity / 4} items came out of {written.Length} written bytes");
    }
}
