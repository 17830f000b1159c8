using System.Runtime.InteropServices;

namespace Plexus.Processes.Sync;

/// <summary>
/// The shared header of a process queue. Fields that different processes write often sit on separate
/// cache lines (consumers move Head, producers Tail). A generic type cannot have explicit layout, so
/// this lives outside <see cref="ProcessQueue{T}"/>.
/// </summary>
[StructLayout(LayoutKind.Explicit)]
internal struct QueueHeader
{
    [FieldOffset(0)] public LockState Lock;
    [FieldOffset(64)] public int NotEmptySequence;
    [FieldOffset(68)] public int NotEmptySleepers;
    [FieldOffset(128)] public int NotFullSequence;
    [FieldOffset(132)] public int NotFullSleepers;
    [FieldOffset(192)] public long Head;
    [FieldOffset(256)] public long Tail;
    [FieldOffset(264)] public int Count;
    [FieldOffset(268)] public int MaxItems;
    [FieldOffset(272)] public int Capacity;
    [FieldOffset(320)] public int Unfinished;
    [FieldOffset(324)] public int AllDoneSequence;
    [FieldOffset(328)] public int AllDoneSleepers;
}
