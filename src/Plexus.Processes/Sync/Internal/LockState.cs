using System.Runtime.InteropServices;

namespace Plexus.Processes.Sync;

/// <summary>The shared state of a process lock: who holds it and how often (RLock).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LockState
{
    /// <summary>0 when free, else the owner's pid, with <see cref="LockWord.Waiters"/> set when someone sleeps.</summary>
    public int Word;

    /// <summary>The owning thread's kernel id, so a release from another thread of the same process is caught.</summary>
    public int OwnerTid;

    /// <summary>Recursion depth (RLock only).</summary>
    public int Count;
}
