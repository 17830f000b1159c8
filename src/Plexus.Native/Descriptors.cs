using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary>
/// Descriptor plumbing: duplicating, closing, reading and writing, and passing descriptors over a
/// Unix socket with <c>SCM_RIGHTS</c> (how a pipe end or a socket reaches a child process).
/// </summary>
public static unsafe class Descriptors
{
    /// <summary>The most descriptors one message carries.</summary>
    public const int MaxPerMessage = 64;

    /// <summary>
    /// Connects a close-on-exec Unix stream socket to <paramref name="path"/> with plain system calls
    /// (a child's first act: cheaper than bringing up System.Net.Sockets).
    /// </summary>
    public static SafeFd ConnectUnix(string path)
    {
        byte* address = stackalloc byte[UnixAddressCapacity];
        int length = UnixAddress(path, address);
        var fd = new SafeFd(LibC.Check(LibC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0), "socket"));
        while (LibC.connect(fd.Fd, address, length) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errnos.EINTR)
            {
                fd.Dispose();
                throw new ErrnoException("connect", errno, path);
            }
        }
        return fd;
    }

    /// <summary>
    /// A close-on-exec Unix stream socket bound to <paramref name="path"/> and listening, made with plain
    /// system calls (bringing up System.Net.Sockets costs a first start several milliseconds). Accept on it
    /// with <see cref="Sockets.Accept"/>; <see cref="Sockets.Shutdown"/> wakes a thread blocked there.
    /// </summary>
    public static SafeFd ListenUnix(string path, int backlog)
    {
        byte* address = stackalloc byte[UnixAddressCapacity];
        int length = UnixAddress(path, address);
        var fd = new SafeFd(LibC.Check(LibC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0), "socket"));
        try
        {
            LibC.Check(LibC.bind(fd.Fd, address, length), "bind", path);
            LibC.Check(LibC.listen(fd.Fd, backlog), "listen", path);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
        return fd;
    }

    private const int UnixPathOffset = 2, UnixPathCapacity = 108, UnixAddressCapacity = UnixPathOffset + UnixPathCapacity;

    /// <summary>Writes <c>struct sockaddr_un</c> for <paramref name="path"/> and returns its length.</summary>
    private static int UnixAddress(string path, byte* address)
    {
        int length = System.Text.Encoding.UTF8.GetByteCount(path);
        if (length >= UnixPathCapacity)
        {
            throw new ArgumentException($"the socket path '{path}' is longer than the {UnixPathCapacity - 1} bytes a Unix socket address holds", nameof(path));
        }
        new Span<byte>(address, UnixAddressCapacity).Clear();
        *(ushort*)address = LibC.AF_UNIX;
        System.Text.Encoding.UTF8.GetBytes(path, new Span<byte>(address + UnixPathOffset, UnixPathCapacity));
        return UnixPathOffset + length + 1;
    }

    /// <summary>Closes <paramref name="fd"/>, ignoring errors (used on cleanup paths).</summary>
    public static void Close(int fd)
    {
        if (fd >= 0)
        {
            LibC.close(fd);
        }
    }

    /// <summary>Whether <paramref name="fd"/> names an open descriptor (<c>fcntl(F_GETFD)</c> does not fail with <c>EBADF</c>).</summary>
    public static bool IsOpen(int fd) => fd >= 0 && LibC.fcntl(fd, LibC.F_GETFD, 0) != -1;

    /// <summary>Duplicates <paramref name="fd"/> (the copy is close-on-exec).</summary>
    public static int Duplicate(int fd) => DuplicateAtLeast(fd, 0);

    /// <summary>Duplicates <paramref name="fd"/> to the lowest free number at or above <paramref name="minimum"/> (the copy is close-on-exec).</summary>
    public static int DuplicateAtLeast(int fd, int minimum)
        => LibC.Check(LibC.fcntl(fd, LibC.F_DUPFD_CLOEXEC, minimum), "fcntl(F_DUPFD_CLOEXEC)", $"descriptor {fd}");

    /// <summary>
    /// Reads once, without retrying: the byte count (0 at end of stream), or the negated errno
    /// (<c>-EAGAIN</c> when a non-blocking descriptor has nothing yet). Never throws; for hot loops.
    /// </summary>
    public static int ReadSome(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return LibC.OrErrno(LibC.read(fd, p, buffer.Length));
        }
    }

    /// <summary>
    /// Writes once, without retrying: how many bytes the kernel took (maybe fewer than all), or the
    /// negated errno (<c>-EAGAIN</c> when a non-blocking descriptor is full). Never throws; for hot loops.
    /// </summary>
    public static int WriteSome(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            return LibC.OrErrno(LibC.write(fd, p, data.Length));
        }
    }

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
        int n = ReceiveSomeWithDescriptors(fd, buffer, fds);
        return n >= 0 ? n : throw new ErrnoException("recvmsg", -n);
    }

    /// <summary>
    /// <see cref="ReceiveWithDescriptors"/> without the throw, for hot loops: the byte count (0 at end of
    /// stream), or the negated errno (<c>-EAGAIN</c> when a non-blocking socket has nothing yet). Retries on EINTR.
    /// </summary>
    [SkipLocalsInit] // every Connection read comes here; the kernel fills the control buffer, so zeroing it is waste
    public static int ReceiveSomeWithDescriptors(int fd, Span<byte> buffer, List<int> fds)
    {
        ArgumentNullException.ThrowIfNull(fds);
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
                    return -errno;
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

    /// <summary>
    /// Waits until <paramref name="fd"/> is readable (data, EOF or error) for at most
    /// <paramref name="timeoutMs"/> milliseconds (-1: no limit).
    /// </summary>
    public static bool WaitReadable(int fd, int timeoutMs) => Wait(fd, LibC.POLLIN, timeoutMs);

    private static bool Wait(int fd, short events, int timeoutMs)
    {
        PollFd entry = new() { Fd = fd, Events = events };
        while (true)
        {
            int n = LibC.poll(&entry, 1, timeoutMs);
            if (n >= 0)
            {
                return n > 0;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errnos.EINTR)
            {
                throw new ErrnoException("poll", errno);
            }
        }
    }

    /// <summary>Reads up to <c>buffer.Length</c> bytes, retrying on EINTR; 0 at EOF (a reset counts as EOF).</summary>
    public static int Read(int fd, Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            while (true)
            {
                nint n = LibC.read(fd, start, buffer.Length);
                if (n >= 0)
                {
                    return (int)n;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errnos.ECONNRESET)
                {
                    return 0;
                }
                if (errno == Errnos.EAGAIN)
                {
                    // The descriptor was made non-blocking (an async wait did that): block here instead.
                    Wait(fd, LibC.POLLIN, -1);
                    continue;
                }
                if (errno != Errnos.EINTR)
                {
                    throw new ErrnoException("read", errno);
                }
            }
        }
    }

    /// <summary>Writes all of <paramref name="first"/> then all of <paramref name="second"/> with as few system calls as it can.</summary>
    public static void WriteAll(int fd, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second = default)
    {
        fixed (byte* a = first)
        fixed (byte* b = second)
        {
            IoVecPair vectors = default;
            long total = (long)first.Length + second.Length;
            long written = 0;
            while (written < total)
            {
                int count = 0;
                LibC.IoVec* iov = (LibC.IoVec*)&vectors;
                if (written < first.Length)
                {
                    iov[count++] = new LibC.IoVec { Base = a + written, Length = (nuint)(first.Length - written) };
                }
                if (second.Length > 0)
                {
                    long skip = Math.Max(0, written - first.Length);
                    iov[count++] = new LibC.IoVec { Base = b + skip, Length = (nuint)(second.Length - skip) };
                }
                var msg = new LibC.MsgHdr { Iov = iov, IovLength = (nuint)count };
                nint n = LibC.sendmsg(fd, &msg, LibC.MSG_NOSIGNAL);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Errnos.EAGAIN)
                    {
                        Wait(fd, LibC.POLLOUT, -1);
                        continue;
                    }
                    if (errno == Errnos.EINTR)
                    {
                        continue;
                    }
                    throw new ErrnoException("sendmsg", errno);
                }
                written += n;
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVecPair
    {
        public LibC.IoVec First;
        public LibC.IoVec Second;
    }

    private static int Align(int length) => (length + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);

    private static int CmsgLength(int dataLength) => Align(sizeof(LibC.CmsgHdr)) + dataLength;

    private static int CmsgSpace(int dataLength) => Align(sizeof(LibC.CmsgHdr)) + Align(dataLength);
}
