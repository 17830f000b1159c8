namespace Plexus.Native;

/// <summary>
/// Connected pairs of Unix stream sockets (<c>socketpair(AF_UNIX, SOCK_STREAM)</c>), like Python's
/// <c>socket.socketpair</c>: what a pipe between processes, or a wake-up channel, is made of.
/// </summary>
public static unsafe class SocketPair
{
    /// <summary>
    /// Creates a connected pair and returns both descriptors; the caller owns them (close each with
    /// <see cref="Descriptors.Close"/>, or wrap it in a <see cref="SafeFd"/>).
    /// </summary>
    /// <param name="nonBlocking">Both ends non-blocking (reads and writes that would wait fail with <c>EAGAIN</c>).</param>
    /// <param name="closeOnExec">Both ends close-on-exec, so a started program does not inherit them; descriptors meant for a child are passed explicitly.</param>
    public static (int First, int Second) Create(bool nonBlocking, bool closeOnExec = true)
    {
        int* sv = stackalloc int[2];
        int type = LibC.SOCK_STREAM | (closeOnExec ? LibC.SOCK_CLOEXEC : 0) | (nonBlocking ? LibC.SOCK_NONBLOCK : 0);
        LibC.Check(LibC.socketpair(LibC.AF_UNIX, type, 0, sv), "socketpair(AF_UNIX, SOCK_STREAM)");
        return (sv[0], sv[1]);
    }
}
