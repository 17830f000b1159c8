using System.Runtime.InteropServices;

namespace Plexus.Processes.Sync;

/// <summary>
/// The shared header of a process queue. Producers (under the lock) write the first cache line:
/// the lock word, the write index and the put count. Consumers take items without the lock, by one
/// compare-and-swap of the read index, on a line of their own beside their take count. So a busy
/// consumer and producer each move about one line per item between cores. The futex words change
/// only when someone sleeps. A generic type cannot have explicit layout, so this lives outside
/// <see cref="ProcessQueue{T}"/>.
/// </summary>
[StructLayout(LayoutKind.Explicit)]
internal struct QueueHeader
{
    [FieldOffset(0)] public LockState Lock;

    /// <summary>The write index (bytes ever written); moved by producers under the lock.</summary>
    [FieldOffset(16)] public long Tail;

    /// <summary>Items ever put; with <see cref="Takes"/>, the item count.</summary>
    [FieldOffset(24)] public long Puts;
    [FieldOffset(32)] public int MaxItems;
    [FieldOffset(36)] public int Capacity;
    [FieldOffset(64)] public int NotEmptySequence;

    /// <summary>Consumers registered (under the lock) to sleep since the last wake; a put resets it when it wakes them.</summary>
    [FieldOffset(68)] public int NotEmptySleepers;
    [FieldOffset(128)] public int NotFullSequence;

    /// <summary>Producers registered to sleep since the last wake; a get resets it when it wakes them.</summary>
    [FieldOffset(132)] public int NotFullSleepers;

    /// <summary>The read index (bytes ever taken); moved by consumers with compare-and-swap.</summary>
    [FieldOffset(192)] public long Head;

    /// <summary>Items ever taken (counted just after the read index moves).</summary>
    [FieldOffset(200)] public long Takes;
    [FieldOffset(320)] public int Unfinished;
    [FieldOffset(324)] public int AllDoneSequence;
    [FieldOffset(328)] public int AllDoneSleepers;
}
