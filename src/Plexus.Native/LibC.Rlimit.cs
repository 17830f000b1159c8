using System.Runtime.InteropServices;

namespace Plexus.Native;

internal static unsafe partial class LibC
{
    /// <summary><c>struct rlimit</c>: soft and hard limits as two unsigned longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct RLimit
    {
        internal ulong Current;
        internal ulong Maximum;
    }

    internal const int RLIMIT_NOFILE = 7;

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int getrlimit(int resource, RLimit* rlim);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int setrlimit(int resource, RLimit* rlim);
}
