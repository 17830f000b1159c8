namespace Plexus.Native;

/// <summary>Connected pairs of Unix stream sockets (<c>socketpair(AF_UNIX, SOCK_STREAM)</c>), like Python's <c>socket.socketpair</c>.</summary>
public static class SocketPair
{
    /// <summary>Creates a connected pair, close-on-exec, non-blocking unless <paramref name="nonBlocking"/> is false.</summary>
    public static unsafe (SafeFd First, SafeFd Second) Create(bool nonBlocking = true)
    {
        int* sv = stackalloc int[2];
        int type = LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC | (nonBlocking ? LibC.SOCK_NONBLOCK : 0);
        LibC.Check(LibC.socketpair(LibC.AF_UNIX, type, 0, sv), "socketpair(AF_UNIX, SOCK_STREAM)");
        return (new SafeFd(sv[0]), new SafeFd(sv[1]));
    }

    /// <summary>Writes one byte to <paramref name="fd"/> (to make its peer readable); false if it would block.</summary>
    public static unsafe bool Poke(SafeFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        byte b = 1;
        return LibC.write(fd.Fd, &b, 1) == 1;
    }
}
