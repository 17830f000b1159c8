using System.Text;

namespace Plexus.Native;

/// <summary>
/// Named shared memory: a file in <c>/dev/shm</c> (what <c>shm_open(3)</c> opens), which any process
/// of the same user can open by name and map with <see cref="MemoryFile.Map"/>. Every descriptor made
/// here is close-on-exec, and every file is owner-only (<c>0600</c>).
/// </summary>
/// <remarks>
/// The descriptor <see cref="Create"/> returns holds an exclusive <c>flock</c> on the file for as long
/// as it stays open: the kernel drops it when the creating process closes it or dies, however it dies,
/// so <see cref="HasOwner"/> tells a segment in use from one a crashed owner left behind. The shell can
/// ask the same thing with <c>flock -n /dev/shm/NAME true</c> (it succeeds only when no owner holds it).
/// </remarks>
public static class NamedMemoryFile
{
    /// <summary>Where named shared memory lives (a <c>tmpfs</c>).</summary>
    public const string Directory = "/dev/shm";

    private const uint OwnerOnly = 0x180; // 0600
    private const int NameMax = 255;

    /// <summary>
    /// Creates the file <paramref name="name"/> of <paramref name="size"/> zero bytes and returns its
    /// descriptor, which holds the owner lock. The file is made unnamed (<c>O_TMPFILE</c>), set to
    /// <c>0600</c>, sized and locked first, then given its name with <c>linkat</c>, which fails if the name
    /// exists (as <c>O_EXCL</c> would): no process ever sees it by name half-made, unlocked or with
    /// wider permissions.
    /// </summary>
    /// <param name="name">The name (one leading <c>/</c> is allowed, as <c>shm_open</c> takes it).</param>
    /// <param name="size">The size in bytes.</param>
    /// <exception cref="ErrnoException"><c>EEXIST</c>: the name is taken.</exception>
    public static int Create(string name, long size)
    {
        string path = PathOf(name);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        int fd = LibC.Check(LibC.open(Directory, LibC.O_TMPFILE | LibC.O_RDWR | LibC.O_CLOEXEC, OwnerOnly), "open(O_TMPFILE)", Directory);
        try
        {
            // The umask may have narrowed the mode given to open; the owner needs read and write.
            LibC.Check(LibC.fchmod(fd, OwnerOnly), "fchmod(0600)", path);
            LibC.Check(LibC.ftruncate(fd, size), "ftruncate", $"{path} ({size} bytes)");
            LibC.Check(LibC.flock(fd, LibC.LOCK_EX | LibC.LOCK_NB), "flock(LOCK_EX)", path);
            LibC.Check(LibC.linkat(LibC.AT_FDCWD, $"/proc/self/fd/{fd}", LibC.AT_FDCWD, path, LibC.AT_SYMLINK_FOLLOW), "linkat", path);
            return fd;
        }
        catch
        {
            LibC.close(fd);
            throw;
        }
    }

    /// <summary>
    /// Opens the existing file <paramref name="name"/> for reading and writing, without following a
    /// symbolic link and without blocking on anything that is not a regular file.
    /// </summary>
    /// <exception cref="ErrnoException"><c>ENOENT</c>: no such name; <c>ESPIPE</c>: the name is not a memory file (a FIFO, a socket).</exception>
    public static int Open(string name)
    {
        string path = PathOf(name);
        int fd = LibC.Check(LibC.open(path, LibC.O_RDWR | LibC.O_NOFOLLOW | LibC.O_CLOEXEC | LibC.O_NONBLOCK, 0), "open", path);
        try
        {
            MemoryFile.Size(fd);
            return fd;
        }
        catch
        {
            LibC.close(fd);
            throw;
        }
    }

    /// <summary>Removes the name (processes that mapped the file keep their mappings); false when there was none.</summary>
    public static bool Unlink(string name)
    {
        string path = PathOf(name);
        if (LibC.unlink(path) == 0)
        {
            return true;
        }
        ErrnoException error = ErrnoException.FromLastError("unlink", path);
        return error.Errno == Errnos.ENOENT ? false : throw error;
    }

    /// <summary>Whether some process holds the owner lock that <see cref="Create"/> took (false for a file a dead or closed owner left).</summary>
    /// <exception cref="ErrnoException"><c>ENOENT</c>: no such name.</exception>
    public static bool HasOwner(string name)
    {
        string path = PathOf(name);
        int fd = LibC.Check(LibC.open(path, LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC | LibC.O_NONBLOCK, 0), "open", path);
        try
        {
            if (LibC.flock(fd, LibC.LOCK_EX | LibC.LOCK_NB) == 0)
            {
                return false; // closing fd drops the probe's lock
            }
            ErrnoException error = ErrnoException.FromLastError("flock(LOCK_EX|LOCK_NB)", path);
            return error.Errno == Errnos.EAGAIN ? true : throw error; // EWOULDBLOCK is EAGAIN on Linux
        }
        finally
        {
            LibC.close(fd);
        }
    }

    /// <summary>The path of <paramref name="name"/> under <see cref="Directory"/>, after checking it is one plain file name.</summary>
    /// <exception cref="ArgumentException">Empty, <c>.</c> or <c>..</c>, longer than 255 bytes, or containing <c>/</c> (after one leading one) or NUL.</exception>
    public static string PathOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string bare = name.StartsWith('/') ? name[1..] : name;
        if (bare.Length == 0 || bare is "." or ".." || bare.Contains('/', StringComparison.Ordinal) || bare.Contains('\0', StringComparison.Ordinal)
            || Encoding.UTF8.GetByteCount(bare) > NameMax)
        {
            throw new ArgumentException($"'{name}' is not a shared memory name: use 1 to {NameMax} bytes without '/' (one leading '/' is allowed), not '.' or '..'", nameof(name));
        }
        return Directory + "/" + bare;
    }
}
