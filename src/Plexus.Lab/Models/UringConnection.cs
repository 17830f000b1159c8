using System.Runtime.InteropServices;

namespace Plexus.Lab.Models;

/// <summary>
/// One connection of the io_uring loop: its out-buffer (native memory, since the kernel reads it
/// after the send is queued) and which operations are in flight.
/// </summary>
/// <remarks>
/// Invariants: at most one send is in flight, so echoed bytes leave in order; the bytes in flight are
/// <c>[Start, Start + InFlight)</c> of <see cref="Out"/> (or of <see cref="_retired"/>, the buffer the
/// in-flight send was queued from, when the out-buffer grew meanwhile); the descriptor is closed
/// only once neither a receive nor a send is in flight, so no completion can name a reused descriptor.
/// </remarks>
internal sealed unsafe class UringConnection(int fd) : IDisposable
{
    private const int InitialCapacity = 256;
    private byte* _retired;

    public int Fd { get; } = fd;
    public byte* Out { get; private set; }
    public int Capacity { get; private set; }
    public int Start { get; set; }
    public int End { get; set; }
    public int InFlight { get; set; }
    public bool ReceiveArmed { get; set; }
    public bool Dead { get; set; }

    public bool SendInFlight => InFlight > 0;

    /// <summary>Nothing in flight any more: the descriptor may be closed.</summary>
    public bool Quiet => !SendInFlight && !ReceiveArmed;

    /// <summary>Appends received bytes, growing (or compacting) the out-buffer as needed.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (End + data.Length > Capacity)
        {
            int live = End - Start;
            if (!SendInFlight && live + data.Length <= Capacity)
            {
                Buffer.MemoryCopy(Out + Start, Out, Capacity, live); // compact in place
            }
            else
            {
                int capacity = Math.Max(InitialCapacity, Capacity);
                while (capacity < live + data.Length)
                {
                    capacity *= 2;
                }
                byte* grown = (byte*)NativeMemory.Alloc((nuint)capacity);
                if (live > 0)
                {
                    Buffer.MemoryCopy(Out + Start, grown, capacity, live);
                }
                if (SendInFlight && _retired is null)
                {
                    _retired = Out; // the in-flight send still reads from it
                }
                else
                {
                    NativeMemory.Free(Out); // no send reads from it
                }
                Out = grown;
                Capacity = capacity;
            }
            End = live;
            Start = 0;
        }
        data.CopyTo(new Span<byte>(Out + End, data.Length));
        End += data.Length;
    }

    /// <summary>The in-flight send completed with <paramref name="sent"/> bytes.</summary>
    public void Sent(int sent)
    {
        InFlight = 0;
        NativeMemory.Free(_retired);
        _retired = null;
        Start += sent;
        if (Start == End)
        {
            Start = End = 0;
        }
    }

    public void Dispose()
    {
        NativeMemory.Free(_retired);
        NativeMemory.Free(Out);
        _retired = null;
        Out = null;
    }
}
