using System.Collections;
using System.Text;

namespace Plexus.Processes;

/// <summary>
/// A fixed number of slots in named shared memory, each holding a <see cref="long"/>, a
/// <see cref="double"/>, a <see cref="bool"/>, a <see cref="string"/> of up to its slot's capacity in
/// UTF-8 bytes, or <c>null</c>: Python's <c>multiprocessing.shared_memory.ShareableList</c>. Another
/// process opens it with <c>new ShareableList(name: list.Name)</c>.
/// </summary>
/// <remarks>
/// <para>Integers of any .NET integer type are stored as <see cref="long"/> (and read back as one),
/// <see cref="float"/> as <see cref="double"/>. A slot may change type on assignment, as in Python; a
/// string slot's capacity is fixed when the list is created: its first string's length rounded up to 8
/// bytes, at least 8, and at least <c>stringCapacity</c>.</para>
/// <para>As in Python there is no lock: a slot written by one process while another reads it can be
/// read half-written. Share a <see cref="ProcessLock"/> with the processes that write.</para>
/// <para>Lifetime is the segment's (<see cref="NamedSharedMemory"/>): disposing the list that created it
/// unlinks it; disposing one that attached only unmaps it.</para>
/// </remarks>
public sealed unsafe class ShareableList : IReadOnlyList<object?>, IDisposable
{
    private const int Magic = 0x4C535850; // "PXSL"
    private const int HeaderSize = 16;
    private readonly NamedSharedMemory _segment;

    /// <summary>
    /// Creates a list holding <paramref name="sequence"/>, or attaches to the list named
    /// <paramref name="name"/> when <paramref name="sequence"/> is null (Python's
    /// <c>ShareableList(sequence=None, *, name=None)</c>).
    /// </summary>
    /// <param name="sequence">The items of a new list; null to attach.</param>
    /// <param name="name">The name to create under (a unique one when null), or to attach to.</param>
    /// <param name="stringCapacity">Creating: the least number of UTF-8 bytes every slot can hold as a string later.</param>
    /// <exception cref="FileNotFoundException">Attaching, and no segment has that name.</exception>
    /// <exception cref="InvalidDataException">Attaching, and the segment is not a <see cref="ShareableList"/>.</exception>
    /// <exception cref="ArgumentException">An item of a type a slot cannot hold.</exception>
    public ShareableList(IEnumerable<object?>? sequence = null, string? name = null, int stringCapacity = 0)
    {
        if (sequence is null)
        {
            ArgumentNullException.ThrowIfNull(name, "name (attaching needs the list's name; pass a sequence to create one)");
            _segment = new NamedSharedMemory(name);
            try
            {
                Count = CheckLayout();
            }
            catch
            {
                _segment.Dispose();
                throw;
            }
            return;
        }
        ArgumentOutOfRangeException.ThrowIfNegative(stringCapacity);
        object?[] items = sequence.ToArray();
        int[] capacities = new int[items.Length];
        long total = HeaderSize + (long)items.Length * sizeof(ShareableSlot);
        for (int i = 0; i < items.Length; i++)
        {
            int bytes = items[i] is string s ? Encoding.UTF8.GetByteCount(s) : 0;
            capacities[i] = RoundUp(Math.Max(8, Math.Max(bytes, stringCapacity)));
            total += capacities[i];
        }
        if (total > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(sequence), $"a ShareableList of {total} bytes is over the 2 GiB limit");
        }
        _segment = new NamedSharedMemory(name, create: true, size: total);
        byte* p = _segment.Pointer;
        ShareableSlot* slots = (ShareableSlot*)(p + HeaderSize);
        int offset = RoundUp(HeaderSize + items.Length * sizeof(ShareableSlot));
        for (int i = 0; i < items.Length; i++)
        {
            slots[i].Offset = offset;
            slots[i].Capacity = capacities[i];
            offset += capacities[i];
        }
        Count = items.Length;
        try
        {
            for (int i = 0; i < items.Length; i++)
            {
                this[i] = items[i];
            }
        }
        catch
        {
            _segment.Dispose();
            throw;
        }
        ((int*)p)[1] = items.Length;
        Volatile.Write(ref *(int*)p, Magic);
    }

    /// <summary>The name another process attaches with.</summary>
    public string Name => _segment.Name;

    /// <summary>The number of slots (fixed).</summary>
    public int Count { get; }

    /// <summary>The shared memory under the list (Python's <c>.shm</c>).</summary>
    public NamedSharedMemory Segment => _segment;

    /// <summary>The item in slot <paramref name="index"/>: a <see cref="long"/>, <see cref="double"/>, <see cref="bool"/>, <see cref="string"/> or null.</summary>
    /// <exception cref="ArgumentException">Setting a value of another type, or a string longer than the slot holds.</exception>
    public object? this[int index]
    {
        get
        {
            ShareableSlot* slot = Slot(index);
            byte* data = _segment.Pointer + slot->Offset;
            return slot->Kind switch
            {
                ShareableSlot.Int64 => *(long*)data,
                ShareableSlot.Double => *(double*)data,
                ShareableSlot.Boolean => *data != 0,
                ShareableSlot.String => Encoding.UTF8.GetString(data, Math.Clamp(slot->Length, 0, slot->Capacity)),
                _ => null,
            };
        }
        set
        {
            ShareableSlot* slot = Slot(index);
            byte* data = _segment.Pointer + slot->Offset;
            switch (value)
            {
                case null:
                    slot->Kind = ShareableSlot.Null;
                    break;
                case string s:
                    int length = Encoding.UTF8.GetByteCount(s);
                    if (length > slot->Capacity)
                    {
                        throw new ArgumentException($"slot {index} holds a string of at most {slot->Capacity} UTF-8 bytes; this one needs {length} (create the list with a larger stringCapacity)", nameof(value));
                    }
                    Encoding.UTF8.GetBytes(s, new Span<byte>(data, slot->Capacity));
                    slot->Length = length;
                    slot->Kind = ShareableSlot.String;
                    break;
                case bool b:
                    *data = b ? (byte)1 : (byte)0;
                    slot->Kind = ShareableSlot.Boolean;
                    break;
                case double or float:
                    *(double*)data = Convert.ToDouble(value, null);
                    slot->Kind = ShareableSlot.Double;
                    break;
                case long or int or short or sbyte or byte or ushort or uint or ulong:
                    *(long*)data = value is ulong u ? checked((long)u) : Convert.ToInt64(value, null);
                    slot->Kind = ShareableSlot.Int64;
                    break;
                default:
                    throw new ArgumentException($"a ShareableList slot holds long, double, bool, string or null, not {value.GetType()}", nameof(value));
            }
        }
    }

    /// <summary>The first slot holding <paramref name="value"/> (Python's <c>index</c>), or -1.</summary>
    public int IndexOf(object? value)
    {
        for (int i = 0; i < Count; i++)
        {
            if (Equals(this[i], value is int or short or sbyte or byte or ushort or uint ? Convert.ToInt64(value, null) : value))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Reads the slots one by one (each read is a separate look at the shared memory).</summary>
    public IEnumerator<object?> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Removes the name now (see <see cref="NamedSharedMemory.Unlink"/>).</summary>
    public void Unlink() => _segment.Unlink();

    /// <summary>Unmaps the list in this process; the list that created it also unlinks it.</summary>
    public void Dispose() => _segment.Dispose();

    private ShareableSlot* Slot(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"the ShareableList has {Count} slots");
        }
        return (ShareableSlot*)(_segment.Pointer + HeaderSize) + index;
    }

    /// <summary>Checks that the attached segment is a whole list whose slots all lie inside it; returns the slot count.</summary>
    private int CheckLayout()
    {
        byte* p = _segment.Pointer;
        long size = _segment.Size;
        if (size < HeaderSize || Volatile.Read(ref *(int*)p) != Magic)
        {
            throw new InvalidDataException($"shared memory '{_segment.Name}' is not a ShareableList (or its creator is still writing it)");
        }
        int count = ((int*)p)[1];
        if (count < 0 || HeaderSize + (long)count * sizeof(ShareableSlot) > size)
        {
            throw new InvalidDataException($"shared memory '{_segment.Name}' claims {count} slots, more than its {size} bytes hold");
        }
        ShareableSlot* slots = (ShareableSlot*)(p + HeaderSize);
        for (int i = 0; i < count; i++)
        {
            if (slots[i].Offset < HeaderSize || slots[i].Capacity < 8 || (long)slots[i].Offset + slots[i].Capacity > size)
            {
                throw new InvalidDataException($"shared memory '{_segment.Name}': slot {i} lies outside the segment");
            }
        }
        return count;
    }

    private static int RoundUp(int bytes) => (bytes + 7) & ~7;

    /// <inheritdoc />
    public override string ToString() => $"ShareableList([{string.Join(", ", this.Select(v => v switch { null => "None", string s => $"'{s}'", bool b => b ? "True" : "False", _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) }))}], name='{Name}')";
}
