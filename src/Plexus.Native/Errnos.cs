namespace Plexus.Native;

/// <summary>Linux <c>errno</c> values that Plexus handles by name.</summary>
public static class Errnos
{
    /// <summary>Operation not permitted.</summary>
    public const int EPERM = 1;
    /// <summary>No such file or directory.</summary>
    public const int ENOENT = 2;
    /// <summary>No such process.</summary>
    public const int ESRCH = 3;
    /// <summary>Interrupted system call.</summary>
    public const int EINTR = 4;
    /// <summary>Bad file descriptor.</summary>
    public const int EBADF = 9;
    /// <summary>Resource temporarily unavailable (would block).</summary>
    public const int EAGAIN = 11;
    /// <summary>Out of memory (the kernel could not allocate for the call).</summary>
    public const int ENOMEM = 12;
    /// <summary>Invalid argument.</summary>
    public const int EINVAL = 22;
    /// <summary>Too many open files in the whole system.</summary>
    public const int ENFILE = 23;
    /// <summary>Too many open files in this process.</summary>
    public const int EMFILE = 24;
    /// <summary>Illegal seek (the descriptor is a pipe or a socket).</summary>
    public const int ESPIPE = 29;
    /// <summary>Broken pipe.</summary>
    public const int EPIPE = 32;
    /// <summary>File exists.</summary>
    public const int EEXIST = 17;
    /// <summary>Address already in use.</summary>
    public const int EADDRINUSE = 98;
    /// <summary>Connection reset by peer.</summary>
    public const int ECONNRESET = 104;
    /// <summary>The peer left before its connection was accepted.</summary>
    public const int ECONNABORTED = 103;
    /// <summary>No buffer space available.</summary>
    public const int ENOBUFS = 105;
    /// <summary>Connection timed out.</summary>
    public const int ETIMEDOUT = 110;
    /// <summary>Connection refused.</summary>
    public const int ECONNREFUSED = 111;
    /// <summary>Operation now in progress.</summary>
    public const int EINPROGRESS = 115;
    /// <summary>Owner died (robust futex).</summary>
    public const int EOWNERDEAD = 130;

    /// <summary>The symbolic name of <paramref name="errno"/>, or <c>errno N</c>.</summary>
    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        ESRCH => "ESRCH",
        EINTR => "EINTR",
        EBADF => "EBADF",
        EAGAIN => "EAGAIN",
        EEXIST => "EEXIST",
        EINVAL => "EINVAL",
        ENFILE => "ENFILE",
        EMFILE => "EMFILE",
        ESPIPE => "ESPIPE",
        EPIPE => "EPIPE",
        EADDRINUSE => "EADDRINUSE",
        ECONNRESET => "ECONNRESET",
        ETIMEDOUT => "ETIMEDOUT",
        ECONNREFUSED => "ECONNREFUSED",
        EINPROGRESS => "EINPROGRESS",
        EOWNERDEAD => "EOWNERDEAD",
        _ => "errno " + errno,
    };
}
