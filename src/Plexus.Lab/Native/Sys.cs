using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Plexus.Native;

namespace Plexus.Lab.Native;

/// <summary>
/// The lab's one door to the system: every system call the models and the load client make goes
/// through here, onto Plexus.Native's public wrappers. Calls on hot paths return what the wrapper
/// returns (a count or a descriptor, or a negated errno) and never throw; set-up calls throw
/// <see cref="LabException"/> with a message fit for the command line.
/// </summary>
/// <remarks>
/// The reactor models use raw descriptors, not <c>System.Net.Sockets.Socket</c>: they must own
/// readiness themselves (a <c>Socket</c> would register every descriptor with .NET's own epoll thread
/// as well). The forwarding methods are a few IL bytes each, so the JIT inlines them: no cost per call.
/// </remarks>
internal static class Sys
{
    /// <summary>Throws <see cref="LabException"/> naming <paramref name="call"/> when <paramref name="result"/> is a negated errno.</summary>
    public static int Check(int result, string call)
    {
        if (result < 0)
        {
            int errno = -result;
            throw new LabException($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} ({Errnos.Name(errno)})", errno);
        }
        return result;
    }

    /// <summary>Closes <paramref name="fd"/>, ignoring errors.</summary>
    public static void Close(int fd) => Descriptors.Close(fd);

    /// <summary>Reads once: the byte count, 0 at end of stream, or the negated errno.</summary>
    public static int Read(int fd, Span<byte> buffer) => Descriptors.ReadSome(fd, buffer);

    /// <summary>Writes once: the bytes the kernel took, or the negated errno.</summary>
    public static int Write(int fd, ReadOnlySpan<byte> data) => Descriptors.WriteSome(fd, data);

    /// <summary>Whether <paramref name="fd"/> became readable within <paramref name="timeoutMs"/>.</summary>
    public static bool WaitReadable(int fd, int timeoutMs) => Descriptors.WaitReadable(fd, timeoutMs);

    /// <summary>Accepts one close-on-exec connection: its descriptor, or the negated errno.</summary>
    public static int Accept(int listener, bool nonBlocking) => Sockets.Accept(listener, nonBlocking);

    /// <summary>Shuts down both directions, waking a thread blocked reading <paramref name="fd"/>.</summary>
    public static void ShutdownBoth(int fd) => Sockets.Shutdown(fd, SocketShutdown.Both);

    /// <summary>A close-on-exec epoll set.</summary>
    public static int EpollCreate() => Epoll.Create();

    /// <summary>Watches <paramref name="fd"/> for <paramref name="events"/>, reporting <paramref name="data"/>.</summary>
    public static void EpollAdd(int epfd, int fd, uint events, ulong data) => Epoll.Add(epfd, fd, events, data);

    /// <summary>Changes what <paramref name="fd"/> is watched for.</summary>
    public static void EpollModify(int epfd, int fd, uint events, ulong data) => Epoll.Modify(epfd, fd, events, data);

    /// <summary>Waits for readiness: how many events were filled in, or the negated errno.</summary>
    public static int EpollWait(int epfd, Span<EpollEvent> events, int timeoutMs) => Epoll.Wait(epfd, events, timeoutMs);

    /// <summary><c>poll(2)</c>: how many descriptors have events, or the negated errno.</summary>
    public static int Poll(Span<PollFd> fds, int timeoutMs) => Plexus.Native.Poll.Wait(fds, timeoutMs);

    /// <summary><c>select(2)</c>: how many descriptors are ready, or the negated errno.</summary>
    public static int Select(int descriptorCount, ref FdSet read, ref FdSet write, int timeoutMs)
        => FdSet.Select(descriptorCount, ref read, ref write, timeoutMs);

    /// <summary>The calling thread's kernel id.</summary>
    public static int ThreadId() => Signals.CurrentThreadId();

    /// <summary>Blocks <paramref name="signals"/> in the calling thread, so they wait to be read from a signalfd.</summary>
    public static void BlockSignals(params ReadOnlySpan<int> signals) => Signals.BlockInCurrentThread(signals);

    /// <summary>A non-blocking signalfd for <paramref name="signals"/>.</summary>
    public static int SignalFdCreate(params ReadOnlySpan<int> signals) => SignalFd.Create(nonBlocking: true, signals);

    /// <summary>Reads pending signals: how many, or the negated errno.</summary>
    public static int SignalFdRead(int fd, Span<SignalFdInfo> into) => SignalFd.Read(fd, into);

    /// <summary>Makes <paramref name="fd"/> signal-driven: its readiness queues <paramref name="signal"/> to thread <paramref name="threadId"/>.</summary>
    public static void EnableSignalDrivenIo(int fd, int signal, int threadId) => SignalDrivenIo.Enable(fd, signal, threadId);

    /// <summary>A non-blocking, close-on-exec TCP socket with <c>TCP_NODELAY</c> (ping-pong must not wait for Nagle).</summary>
    public static int OpenClientSocket(AddressFamily family)
    {
        int fd = Sockets.Open(family, SocketType.Stream, nonBlocking: true);
        try
        {
            Sockets.SetOption(fd, SocketOption.NoDelay, 1);
            return fd;
        }
        catch
        {
            Descriptors.Close(fd);
            throw;
        }
    }

    /// <summary>Starts connecting: 0, or the negated errno (<c>-EINPROGRESS</c> while under way).</summary>
    public static int Connect(int fd, IPAddress address, int port) => address.AddressFamily == AddressFamily.InterNetwork
        ? Sockets.Connect(fd, address, port)
        : Sockets.Connect(fd, Native(address, port));

    /// <summary>The kernel's <c>sockaddr</c> bytes for an IPv6 (or IPv4) endpoint: .NET's SocketAddress holds the platform layout.</summary>
    private static ReadOnlySpan<byte> Native(IPAddress address, int port)
    {
        SocketAddress native = new IPEndPoint(address, port).Serialize();
        return native.Buffer.Span[..native.Size];
    }

    /// <summary>Binds a client socket to source address <paramref name="source"/>, its port picked at connect: 0, or the negated errno.</summary>
    public static int BindSource(int fd, IPAddress source) => SourceAddress.Bind(fd, source);

    /// <summary>The socket's pending error (0 once a non-blocking connect succeeded).</summary>
    public static int SocketError(int fd) => Sockets.PendingError(fd);

    /// <summary>Sends SIGTERM to <paramref name="pid"/>; false when it is gone already.</summary>
    public static bool Terminate(int pid) => ProcessIds.Signal(pid, ProcessIds.SigTerm);

    /// <summary>Resolves <paramref name="host"/> to an address: IPv4 or IPv6 (<c>::1</c>), IPv4 first for a name.</summary>
    public static IPAddress Resolve(string host)
    {
        if (IPAddress.TryParse(host, out IPAddress? ip))
        {
            return ip.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
                ? ip
                : throw new LabException($"'{host}' is neither an IPv4 nor an IPv6 address; try 127.0.0.1 or ::1");
        }
        try
        {
            IPAddress[] all = Dns.GetHostAddresses(host);
            return all.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? all.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6)
                ?? throw new LabException($"host '{host}' has no IPv4 or IPv6 address");
        }
        catch (SocketException e)
        {
            throw new LabException($"cannot resolve host '{host}': {e.Message}");
        }
    }

    /// <summary>
    /// Opens a non-blocking listening socket. <paramref name="reusePort"/> sets <c>SO_REUSEPORT</c>
    /// (prefork); every listener sets <c>SO_REUSEADDR</c> so a restart does not wait out TIME_WAIT.
    /// </summary>
    public static int Listen(IPAddress ip, int port, bool reusePort, int backlog = 4096, bool listen = true)
    {
        int fd = -1;
        try
        {
            fd = Sockets.Open(ip.AddressFamily, SocketType.Stream, nonBlocking: true);
            Sockets.SetOption(fd, SocketOption.ReuseAddress, 1);
            if (reusePort)
            {
                Sockets.SetOption(fd, SocketOption.ReusePort, 1);
            }
            if (ip.AddressFamily == AddressFamily.InterNetwork)
            {
                Sockets.Bind(fd, ip, port);
            }
            else
            {
                int bound = Sockets.Bind(fd, Native(ip, port));
                if (bound < 0)
                {
                    throw new ErrnoException("bind", -bound, $"{ip} port {port}");
                }
            }
            if (listen)
            {
                Sockets.Listen(fd, backlog);
            }
            return fd;
        }
        catch (ErrnoException e)
        {
            Descriptors.Close(fd);
            throw e.Errno == Errnos.EADDRINUSE && e.Call == "bind"
                ? new LabException($"port {port} on {ip} is already in use; stop the other server or pick another --port", e.Errno)
                : new LabException($"cannot listen on {ip}:{port}: {e.Message}", e.Errno);
        }
    }

    /// <summary>Raises this process's soft descriptor limit to at least <paramref name="wanted"/> (and the hard limit when allowed).</summary>
    public static ulong RaiseFileLimit(ulong wanted)
    {
        try
        {
            return (ulong)FileDescriptorLimit.Raise((int)Math.Min(wanted, int.MaxValue));
        }
        catch (InvalidOperationException)
        {
            // Not allowed past the hard limit: take all of it, and let the caller say what that is short of.
            return (ulong)FileDescriptorLimit.Raise((int)Math.Min(FileDescriptorLimit.Hard, int.MaxValue));
        }
    }
}
