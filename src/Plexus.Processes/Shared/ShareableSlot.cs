using System.Runtime.InteropServices;

namespace Plexus.Processes;

/// <summary>
/// One entry of a <see cref="ShareableList"/>'s slot table, in the shared memory: what the slot holds
/// now and where its bytes are. Offsets and capacities never change after creation; kind and length
/// change with each write.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ShareableSlot
{
    public const int Null = 0;
    public const int Int64 = 1;
    public const int Double = 2;
    public const int Boolean = 3;
    public const int String = 4;

    /// <summary>One of the constants above.</summary>
    public int Kind;

    /// <summary>Bytes reserved for the slot's value (a multiple of 8, at least 8).</summary>
    public int Capacity;

    /// <summary>Where the value's bytes start, from the start of the segment (a multiple of 8).</summary>
    public int Offset;

    /// <summary>The string's length in UTF-8 bytes (0 for other kinds).</summary>
    public int Length;
}
