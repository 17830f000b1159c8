using System.Runtime.InteropServices;

namespace Plexus.Processes.Sync;

/// <summary>
/// The shared header of a process queue. Everything a put or get touches under the lock (the lock
/// word, the indexes, the count and the limits) shares the first cache line, so one operation moves
/// one line between cores rather than four; the futex words, which change only when someone sleeps,
/// and the join counters sit on lines of their own. A generic type cannot have explicit layout, so
/// this lives outside <see cref="ProcessQueue{T}"/>.
/// </summary>
[StructLayout(LayoutKind.Explicit)]
internal struct QueueHeader
{
    [FieldOffset(0)] public LockState Lock;
    [FieldOffset(16)] public long Head;
    [FieldOffset(24)] public long Tail;
    [FieldOffset(32)] public int Count;
    [FieldOffset(36)] public int MaxItems;
    [FieldOffset(40)] public int Capacity;
    [FieldOffset(64)] public int NotEmptySequence;
    /// <summary>Consumers registered (under the lock) to sleep since the last wake; a put resets it when it wakes them.</summary>
    [FieldOffset(68)] public int NotEmptySleepers;
    [FieldOffset(128)] public int NotFullSequence;
    /// <summary>Producers registered to sleep since the last wake; a get resets it when it wakes them.</summary>
    [FieldOffset(132)] public int NotFullSleepers;
    [FieldOffset(320)] public int Unfinished;
    [FieldOffset(324)] public int AllDoneSequence;
    [FieldOffset(328)] public int AllDoneSleepers;
}
