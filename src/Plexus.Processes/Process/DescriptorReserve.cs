using Microsoft.Win32.SafeHandles;
using Plexus.Native;

namespace Plexus.Processes;

/// <summary>
/// Descriptors held open on <c>/dev/null</c> so that a process at its <c>RLIMIT_NOFILE</c> still has
/// some to give: closing one lets <c>accept</c> take a waiting connection only to turn it away with a
/// clear error (the reserve trick of libuv and nginx), and closing more lets it accept one more client
/// and start that client's thread (each .NET thread opens a pipe while it starts). The held descriptors are
/// copies of one more, opened when the reserve is made (not counted in its size). Only the accept
/// thread that owns it touches a reserve.
/// </summary>
internal sealed class DescriptorReserve(int size) : IDisposable
{
    private readonly SafeFileHandle _seed = File.OpenHandle("/dev/null");
    private readonly Stack<int> _held = new();

    /// <summary>How many descriptors the reserve holds now.</summary>
    public int Held => _held.Count;

    /// <summary>Opens descriptors until <c>size</c> are held; false when the process ran out first.</summary>
    public bool Refill()
    {
        while (_held.Count < size)
        {
            int fd = TryCopy();
            if (fd < 0)
            {
                return false;
            }
            _held.Push(fd);
        }
        return true;
    }

    /// <summary>Closes up to <paramref name="count"/> held descriptors, so that others can take them; false when none was held.</summary>
    public bool Release(int count)
    {
        bool any = false;
        for (int i = 0; i < count && _held.Count > 0; i++)
        {
            Descriptors.Close(_held.Pop());
            any = true;
        }
        return any;
    }

    /// <summary>A new descriptor for <c>/dev/null</c>, or -1 when the process has none to give.</summary>
    private int TryCopy()
    {
        try
        {
            return Descriptors.Duplicate((int)_seed.DangerousGetHandle());
        }
        catch (ErrnoException)
        {
            return -1;
        }
    }

    public void Dispose()
    {
        Release(_held.Count);
        _seed.Dispose();
    }
}
