using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary>
/// A failed system call: names the call, the <c>errno</c> it returned and the system's text for it.
/// </summary>
public sealed class ErrnoException : IOException
{
    /// <summary>Creates the exception for <paramref name="call"/> failing with <paramref name="errno"/>.</summary>
    public ErrnoException(string call, int errno, string? detail = null)
        : base(Format(call, errno, detail), errno)
    {
        Call = call;
        Errno = errno;
    }

    /// <summary>The system call that failed, e.g. <c>epoll_ctl</c>.</summary>
    public string Call { get; }

    /// <summary>The <c>errno</c> value (see <see cref="Errno"/> constants in <see cref="Errnos"/>).</summary>
    public int Errno { get; }

    /// <summary>Throws for the last P/Invoke error of <paramref name="call"/>.</summary>
    public static ErrnoException FromLastError(string call, string? detail = null)
        => new(call, Marshal.GetLastPInvokeError(), detail);

    private static string Format(string call, int errno, string? detail)
    {
        string text = Marshal.GetPInvokeErrorMessage(errno);
        string name = Errnos.Name(errno);
        return detail is null
            ? $"{call} failed: {name} ({errno}): {text}"
            : $"{call} failed on {detail}: {name} ({errno}): {text}";
    }
}
