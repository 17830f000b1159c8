using System.Collections.Concurrent;
using Plexus.Native;

namespace Plexus.Processes;

/// <summary>
/// Shared memory that any process of the same user opens by name, Python's
/// <c>multiprocessing.shared_memory.SharedMemory</c>: a file in <c>/dev/shm</c> with owner-only
/// permissions (<c>0600</c>), mapped into each process and read in place as a <see cref="Span{T}"/> or
/// <see cref="Memory{T}"/> of any unmanaged type. Python opens the same names:
/// <c>SharedMemory(name=m.Name)</c> in a Python process sees the same bytes.
/// </summary>
/// <remarks>
/// <para><b>Who unlinks.</b> The instance that created the segment owns it. Disposing the owner unlinks
/// the name (unless it was created with <c>unlinkOnDispose: false</c>) and unmaps it; disposing an
/// instance that attached only unmaps it in that process. <see cref="Unlink"/> removes the name at once,
/// from any instance. Processes that mapped a segment keep its memory after the name is gone; the kernel
/// frees it when the last one unmaps. An owner that the process never disposed is unlinked when the
/// process exits normally.</para>
/// <para><b>No resource tracker.</b> Python registers every segment with a resource-tracker process and
/// unlinks whatever a process registered when that process exits: before Python 3.13 an attaching process
/// registers too, so its exit unlinks a segment its owner still uses. Here only the owner ever unlinks,
/// so a non-owner that exits or crashes changes nothing.</para>
/// <para><b>An owner that crashes</b> cannot unlink, so its segment stays in <c>/dev/shm</c>. The owner
/// holds an exclusive <c>flock</c> on it for as long as it lives, which the kernel drops at any death:
/// <see cref="FindStale"/> lists segments with no live owner and <see cref="RemoveStale"/> removes them.
/// Without .NET: <c>for f in /dev/shm/plexus-*; do flock -n "$f" true &amp;&amp; echo "$f"; done</c>
/// prints the same list (<c>flock -n</c> succeeds only where no owner holds the lock).</para>
/// <para>Spans and <see cref="Memory{T}"/> handed out are valid until <see cref="Dispose"/> in this
/// process: do not dispose while another thread still uses one. Concurrent writers need a lock, as in
/// Python (a <see cref="ProcessLock"/> passed to the processes involved).</para>
/// </remarks>
public sealed unsafe class NamedSharedMemory : IDisposable
{
    /// <summary>The prefix of generated names (Python's is <c>psm_</c>); <see cref="FindStale"/> looks for it by default.</summary>
    public const string NamePrefix = "plexus-";

    /// <summary>Owners not yet disposed, unlinked at a normal exit of the process.</summary>
    private static readonly ConcurrentDictionary<NamedSharedMemory, bool> s_owned = new();
    private static int s_exitHook;

    private readonly byte* _pointer;
    private readonly bool _unlinkOnDispose;
    /// <summary>The owner's descriptor, which holds the owner lock; -1 in an instance that attached.</summary>
    private readonly int _ownerFd;
    private int _disposed;
    private int _unlinked;

    /// <summary>
    /// Creates a segment or attaches to one, as Python's <c>SharedMemory(name, create, size)</c>.
    /// </summary>
    /// <param name="name">The name; with <paramref name="create"/> and no name, a new unique one (<c>plexus-</c> and 16 hex digits).</param>
    /// <param name="create">Create a new segment (this instance owns it) instead of attaching to an existing one.</param>
    /// <param name="size">Bytes to create (zero-filled); ignored when attaching, as in Python (<see cref="Size"/> is the segment's).</param>
    /// <param name="unlinkOnDispose">Whether disposing the owner unlinks the name (the default). With false the segment outlives its owner until someone calls <see cref="Unlink"/>; name it without <see cref="NamePrefix"/> so <see cref="RemoveStale"/> leaves it alone.</param>
    /// <exception cref="FileNotFoundException">Attaching, and no segment has that name.</exception>
    /// <exception cref="IOException">Creating, and the name is taken.</exception>
    /// <exception cref="ArgumentException">No name to attach to, a name that is not one plain file name, or a size that is not positive when creating.</exception>
    public NamedSharedMemory(string? name = null, bool create = false, long size = 0, bool unlinkOnDispose = true)
    {
        if (!create)
        {
            ArgumentNullException.ThrowIfNull(name, "name (attaching needs the segment's name; pass create: true to make a new one)");
        }
        else
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        }
        int fd = create ? CreateFile(ref name, size) : OpenFile(name!);
        Name = name!.TrimStart('/');
        try
        {
            Size = MemoryFile.Size(fd);
            if (Size == 0)
            {
                throw new IOException($"shared memory '{Name}' is empty (0 bytes) and cannot be mapped; its creator did not size it");
            }
            _pointer = (byte*)MemoryFile.Map(fd, Size);
        }
        catch
        {
            if (create)
            {
                NamedMemoryFile.Unlink(Name);
            }
            Descriptors.Close(fd);
            throw;
        }
        if (create)
        {
            _ownerFd = fd;
            _unlinkOnDispose = unlinkOnDispose;
            if (unlinkOnDispose)
            {
                s_owned[this] = true;
                HookExit();
            }
        }
        else
        {
            _ownerFd = -1;
            Descriptors.Close(fd);
        }
    }

    /// <summary>The name other processes attach with (no leading <c>/</c>, as Python's <c>.name</c>).</summary>
    public string Name { get; }

    /// <summary>The segment's size in bytes.</summary>
    public long Size { get; }

    /// <summary>Whether this instance created the segment (and so unlinks it on <see cref="Dispose"/> unless told not to).</summary>
    public bool IsOwner => _ownerFd != -1;

    /// <summary>The segment's bytes (Python's <c>.buf</c>), valid until <see cref="Dispose"/>.</summary>
    /// <exception cref="InvalidOperationException">The segment is 2 GiB or more: view it with <see cref="AsSpan{T}"/> of a wider type.</exception>
    public Span<byte> Span => AsSpan<byte>();

    /// <summary>The segment as whole elements of <typeparamref name="T"/> (a trailing partial element is left out), valid until <see cref="Dispose"/>.</summary>
    /// <exception cref="InvalidOperationException">More than <see cref="int.MaxValue"/> elements fit: use a wider <typeparamref name="T"/>.</exception>
    /// <exception cref="ObjectDisposedException">Disposed in this process.</exception>
    public Span<T> AsSpan<T>() where T : unmanaged => new(Pointer, Length<T>());

    /// <summary>The segment as a <see cref="Memory{T}"/> (for async code and APIs that take one), valid until <see cref="Dispose"/>; its <c>Span</c> throws <see cref="ObjectDisposedException"/> after that.</summary>
    /// <exception cref="InvalidOperationException">More than <see cref="int.MaxValue"/> elements fit: use a wider <typeparamref name="T"/>.</exception>
    public Memory<T> AsMemory<T>() where T : unmanaged => new SharedMemoryManager<T>(this, Length<T>()).Memory;

    /// <summary>The start of the mapping.</summary>
    /// <exception cref="ObjectDisposedException">Disposed in this process.</exception>
    internal byte* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _pointer;
        }
    }

    private int Length<T>() where T : unmanaged
    {
        long count = Size / sizeof(T);
        return count <= int.MaxValue ? (int)count : throw new InvalidOperationException(
            $"shared memory '{Name}' holds {count} elements of {typeof(T).Name}, more than a span can; view it as a wider type");
    }

    /// <summary>
    /// Removes the name now (Python's <c>unlink()</c>): no process can attach any more, processes that
    /// mapped it keep it. Any instance may call it; it acts once per instance, so a later dispose never
    /// removes a segment someone else has since created under the same name.
    /// </summary>
    public void Unlink()
    {
        if (Interlocked.Exchange(ref _unlinked, 1) == 0)
        {
            NamedMemoryFile.Unlink(Name);
            s_owned.TryRemove(this, out _);
        }
    }

    /// <summary>
    /// Names of segments in <c>/dev/shm</c> starting with <paramref name="prefix"/> that no live
    /// process owns: their creator died (or disposed with <c>unlinkOnDispose: false</c>).
    /// </summary>
    public static IReadOnlyList<string> FindStale(string prefix = NamePrefix)
    {
        var stale = new List<string>();
        foreach (string path in Directory.EnumerateFiles(NamedMemoryFile.Directory, prefix + "*"))
        {
            string name = Path.GetFileName(path);
            try
            {
                if (!NamedMemoryFile.HasOwner(name))
                {
                    stale.Add(name);
                }
            }
            catch (ErrnoException)
            {
                // Unlinked meanwhile, or not ours to open (another user's): not a stale segment of ours.
            }
        }
        return stale;
    }

    /// <summary>Unlinks the segments <see cref="FindStale"/> finds and returns their names.</summary>
    public static IReadOnlyList<string> RemoveStale(string prefix = NamePrefix)
    {
        IReadOnlyList<string> stale = FindStale(prefix);
        foreach (string name in stale)
        {
            NamedMemoryFile.Unlink(name);
        }
        return stale;
    }

    /// <summary>
    /// Unmaps the segment in this process (Python's <c>close()</c>); the owner also unlinks it, unless
    /// created with <c>unlinkOnDispose: false</c>. Spans from this instance must no longer be in use.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_unlinkOnDispose)
        {
            Unlink();
        }
        MemoryFile.Unmap(_pointer, Size);
        if (_ownerFd != -1)
        {
            Descriptors.Close(_ownerFd);
        }
    }

    private static int CreateFile(ref string? name, long size)
    {
        bool generated = name is null;
        while (true)
        {
            string candidate = name ?? NamePrefix + Convert.ToHexStringLower(SecureRandom.GetBytes(8));
            try
            {
                int fd = NamedMemoryFile.Create(candidate, size);
                name = candidate;
                return fd;
            }
            catch (ErrnoException e) when (e.Errno == Errnos.EEXIST)
            {
                if (!generated)
                {
                    throw new IOException($"shared memory '{candidate}' already exists: attach to it (create: false), pick another name, or remove it if its owner died (NamedSharedMemory.RemoveStale)", e);
                }
            }
        }
    }

    private static int OpenFile(string name)
    {
        try
        {
            return NamedMemoryFile.Open(name);
        }
        catch (ErrnoException e) when (e.Errno == Errnos.ENOENT)
        {
            throw new FileNotFoundException($"no shared memory named '{name}' in {NamedMemoryFile.Directory}: its owner has not created it yet or has unlinked it (disposed)", NamedMemoryFile.PathOf(name), e);
        }
    }

    private static void HookExit()
    {
        if (Interlocked.Exchange(ref s_exitHook, 1) == 0)
        {
            // Only unlink: other threads may still be using the mappings while the process exits.
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                foreach (NamedSharedMemory owned in s_owned.Keys)
                {
                    owned.Unlink();
                }
            };
        }
    }
}
