using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary>
/// A <c>select(2)</c> descriptor set (<c>fd_set</c>), and <see cref="Select"/> itself. The caller
/// rebuilds the sets every round and the kernel scans them all. A set has <see cref="Capacity"/> bits,
/// so a descriptor numbered that high or higher cannot be watched at all (CPython raises
/// "filedescriptor out of range in select()"). The default value is the empty set.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 128)]
public unsafe struct FdSet
{
    /// <summary>glibc's <c>FD_SETSIZE</c>: a set holds descriptors 0..1023.</summary>
    public const int Capacity = LibC.FD_SETSIZE;

    private fixed ulong _bits[Capacity / 64];

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> milliseconds (-1: no limit) until a descriptor in
    /// <paramref name="read"/> is readable or one in <paramref name="write"/> is writable, and leaves
    /// only the ready ones in the sets. <paramref name="descriptorCount"/> is the highest descriptor
    /// in either set plus one. Returns how many are ready, or the negated errno (<c>-EINTR</c> after a signal).
    /// </summary>
    public static int Select(int descriptorCount, ref FdSet read, ref FdSet write, int timeoutMs)
    {
        LibC.TimeVal timeout = new() { Seconds = timeoutMs / 1000, Microseconds = timeoutMs % 1000 * 1000L };
        fixed (FdSet* r = &read)
        fixed (FdSet* w = &write)
        {
            return LibC.OrErrno(LibC.select(descriptorCount, r, w, null, timeoutMs < 0 ? null : &timeout));
        }
    }

    /// <summary>Adds <paramref name="fd"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fd"/> is outside 0..1023 (writing its bit would scribble past the set).</exception>
    public void Set(int fd)
    {
        CheckRange(fd);
        _bits[fd >> 6] |= 1UL << (fd & 63);
    }

    /// <summary>Removes <paramref name="fd"/>.</summary>
    public void Clear(int fd)
    {
        CheckRange(fd);
        _bits[fd >> 6] &= ~(1UL << (fd & 63));
    }

    /// <summary>Whether <paramref name="fd"/> is in the set.</summary>
    public readonly bool IsSet(int fd)
    {
        CheckRange(fd);
        return (_bits[fd >> 6] & (1UL << (fd & 63))) != 0;
    }

    /// <summary>Bits for descriptors <c>64*index</c>..<c>64*index+63</c>, for scanning a set a word at a time.</summary>
    public readonly ulong Word(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)(Capacity / 64), nameof(index));
        return _bits[index];
    }

    private static void CheckRange(int fd)
    {
        if ((uint)fd >= Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(fd), fd, $"select() watches descriptors 0..{Capacity - 1} only; use poll or epoll for more");
        }
    }
}
