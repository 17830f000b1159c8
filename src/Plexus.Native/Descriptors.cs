using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary>
/// Descriptor plumbing for inter-process channels: socket pairs and passing descriptors over a
/// Unix socket with <c>SCM_RIGHTS</c> (how a pipe end or a socket reaches a child process).
/// </summary>
public static unsafe class Descriptors
{
    /// <summary>The most descriptors one message carries.</summary>
    public const int MaxPerMessage = 64;

    /// <summary>Creates a connected pair of close-on-exec Unix stream sockets.</summary>
    public static (int, int) SocketPair()
    {
        int* sv = stackalloc int[2];
        LibC.Check(LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, sv), "socketpair");
        return (sv[0], sv[1]);
    }

    /// <summary>Closes <paramref name="fd"/>, ignoring errors (used on cleanup paths).</summary>
    public static void Close(int fd)
    {
        if (fd >= 0)
        {
            LibC.close(fd);
        }
    }

    /// <summary>Duplicates <paramref name="fd"/> (the copy is close-on-exec).</summary>
    public static int Duplicate(int fd) => LibC.Check(LibC.fcntl(fd, 1030 /* F_DUPFD_CLOEXEC */, 0), "fcntl(F_DUPFD_CLOEXEC)");

    /// <summary>
    /// Sends all of <paramref name="data"/> on the stream socket <paramref name="fd"/>, with
    /// <paramref name="fds"/> attached to the first byte.
    /// </summary>
    public static void SendWithDescriptors(int fd, ReadOnlySpan<byte> data, ReadOnlySpan<int> fds)
    {
        if (fds.Length > MaxPerMessage)
        {
            throw new ArgumentException($"at most {MaxPerMessage} descriptors travel in one message, not {fds.Length}", nameof(fds));
        }
        int controlLength = fds.IsEmpty ? 0 : CmsgSpace(fds.Length * sizeof(int));
        byte* control = stackalloc byte[Math.Max(controlLength, 1)];
        new Span<byte>(control, controlLength).Clear();
        if (!fds.IsEmpty)
        {
            var header = (LibC.CmsgHdr*)control;
            header->Length = (nuint)CmsgLength(fds.Length * sizeof(int));
            header->Level = LibC.SOL_SOCKET;
            header->Type = LibC.SCM_RIGHTS;
            fds.CopyTo(new Span<int>(control + sizeof(LibC.CmsgHdr), fds.Length));
        }
        fixed (byte* start = data)
        {
            int sent = 0;
            while (sent < data.Length || (sent == 0 && data.IsEmpty))
            {
                var iov = new LibC.IoVec { Base = start + sent, Length = (nuint)(data.Length - sent) };
                var msg = new LibC.MsgHdr { Iov = &iov, IovLength = 1 };
                if (sent == 0 && controlLength > 0)
                {
                    msg.Control = control;
                    msg.ControlLength = (nuint)controlLength;
                }
                nint n = LibC.sendmsg(fd, &msg, LibC.MSG_NOSIGNAL);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Errnos.EINTR)
                    {
                        continue;
                    }
                    throw new ErrnoException("sendmsg", errno);
                }
                sent += (int)n;
                if (data.IsEmpty)
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Receives up to <c>buffer.Length</c> bytes from the stream socket <paramref name="fd"/>,
    /// adding any descriptors that arrive to <paramref name="fds"/> (close-on-exec). Returns 0 at EOF.
    /// </summary>
    public static int ReceiveWithDescriptors(int fd, Span<byte> buffer, List<int> fds)
    {
        int controlLength = CmsgSpace(MaxPerMessage * sizeof(int));
        byte* control = stackalloc byte[controlLength];
        fixed (byte* start = buffer)
        {
            while (true)
            {
                var iov = new LibC.IoVec { Base = start, Length = (nuint)buffer.Length };
                var msg = new LibC.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlLength };
                nint n = LibC.recvmsg(fd, &msg, LibC.MSG_CMSG_CLOEXEC);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Errnos.EINTR)
                    {
                        continue;
                    }
                    throw new ErrnoException("recvmsg", errno);
                }
                byte* cursor = (byte*)msg.Control;
                byte* end = cursor + (long)msg.ControlLength;
                while (msg.ControlLength > 0 && cursor + sizeof(LibC.CmsgHdr) <= end)
                {
                    var header = (LibC.CmsgHdr*)cursor;
                    if (header->Length < (nuint)sizeof(LibC.CmsgHdr))
                    {
                        break;
                    }
                    if (header->Level == LibC.SOL_SOCKET && header->Type == LibC.SCM_RIGHTS)
                    {
                        int count = ((int)header->Length - sizeof(LibC.CmsgHdr)) / sizeof(int);
                        int* received = (int*)(cursor + sizeof(LibC.CmsgHdr));
                        for (int i = 0; i < count; i++)
                        {
                            fds.Add(received[i]);
                        }
                    }
                    cursor += Align((int)header->Length);
                }
                return (int)n;
            }
        }
    }

    private static int Align(int length) => (length + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);

    private static int CmsgLength(int dataLength) => Align(sizeof(LibC.CmsgHdr)) + dataLength;

    private static int CmsgSpace(int dataLength) => Align(sizeof(LibC.CmsgHdr)) + Align(dataLength);
}
