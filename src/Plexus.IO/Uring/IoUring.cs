using System.Runtime.InteropServices;
using Plexus.Native;
using static Plexus.Native.IoUringCalls;

namespace Plexus.IO;

/// <summary>
/// An <c>io_uring(7)</c> instance: the completion model of I/O. The caller queues operations
/// (accept, receive, send, cancel, no-op) in the submission ring, hands them to the kernel in one
/// <see cref="SubmitAndWait(int)"/> call, and later reads what the kernel did from the completion
/// ring — the data is already in the process's memory when the completion arrives.
/// </summary>
/// <remarks>
/// <para>Both rings are mapped once at construction; queuing an operation and reading a completion
/// are plain memory accesses with the ordering the kernel's ring protocol requires (the tail we
/// publish is a release store, the tail we read an acquire load).</para>
/// <para>Not thread-safe: one thread queues, submits and reads completions (the ring is created
/// <c>IORING_SETUP_SINGLE_ISSUER</c> by default). Buffers passed to <see cref="TrySend"/> and
/// <see cref="TryReceive(int, nint, int, ulong)"/> must stay valid until their completion arrives.</para>
/// </remarks>
public sealed unsafe class IoUring : IDisposable
{
    private const int ETIME = 62;
    private const int EBUSY = 16;

    private readonly SafeFd _ring;
    private readonly byte* _rings;
    private readonly nuint _ringsSize;
    private readonly IoUringSqe* _sqes;
    private readonly nuint _sqesSize;
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint _sqMask;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly IoUringCqe* _cqes;
    private uint _queuedTail; // operations queued so far; the kernel sees them when _sqTail is published
    private bool _disposed;

    /// <summary>Creates a ring.</summary>
    /// <param name="entries">Submission ring size (rounded up to a power of two by the kernel).</param>
    /// <param name="completionEntries">Completion ring size; 0 for four times <paramref name="entries"/>
    /// (multishot operations post many completions per submission).</param>
    /// <param name="singleIssuer">Promise the kernel that one thread submits
    /// (<c>IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN</c>): completions are then posted only
    /// inside <see cref="SubmitAndWait(int)"/>, with less locking and fewer interruptions.</param>
    public IoUring(int entries = 256, int completionEntries = 0, bool singleIssuer = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(entries, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(completionEntries);
        IoUringParams p = default;
        p.Flags = SetupClamp | SetupSubmitAll | SetupCqSize;
        p.CqEntries = (uint)(completionEntries == 0 ? entries * 4 : completionEntries);
        if (singleIssuer)
        {
            p.Flags |= SetupSingleIssuer | SetupDeferTaskRun;
        }
        int fd = Setup((uint)entries, ref p);
        if (fd < 0)
        {
            throw new ErrnoException("io_uring_setup", -fd, "io_uring needs Linux 6.1 or later and must not be disabled (sysctl kernel.io_uring_disabled)");
        }
        _ring = new SafeFd(fd);
        if ((p.Features & FeatureSingleMmap) == 0 || (p.Features & FeatureNoDrop) == 0)
        {
            _ring.Dispose();
            throw new PlatformNotSupportedException("this kernel's io_uring lacks FeatureSingleMmap or FeatureNoDrop; Plexus needs Linux 6.1 or later");
        }

        SubmissionEntries = (int)p.SqEntries;
        CompletionEntries = (int)p.CqEntries;
        // With SINGLE_MMAP one mapping holds both rings' indexes and the completion entries.
        _ringsSize = Math.Max(p.SqOff.Array + p.SqEntries * sizeof(uint), p.CqOff.Cqes + p.CqEntries * (uint)sizeof(IoUringCqe));
        _rings = (byte*)MapRing(fd, _ringsSize, OffsetSqRing, "io_uring rings");
        _sqesSize = p.SqEntries * (uint)sizeof(IoUringSqe);
        try
        {
            _sqes = (IoUringSqe*)MapRing(fd, _sqesSize, OffsetSqes, "io_uring submission entries");
        }
        catch
        {
            Unmap(_rings, _ringsSize);
            _ring.Dispose();
            throw;
        }
        _sqHead = (uint*)(_rings + p.SqOff.Head);
        _sqTail = (uint*)(_rings + p.SqOff.Tail);
        _sqMask = *(uint*)(_rings + p.SqOff.RingMask);
        _cqHead = (uint*)(_rings + p.CqOff.Head);
        _cqTail = (uint*)(_rings + p.CqOff.Tail);
        _cqMask = *(uint*)(_rings + p.CqOff.RingMask);
        _cqes = (IoUringCqe*)(_rings + p.CqOff.Cqes);
        // The indirection array maps ring slot i to entry i for good: entries are filled in ring order.
        uint* array = (uint*)(_rings + p.SqOff.Array);
        for (uint i = 0; i < p.SqEntries; i++)
        {
            array[i] = i;
        }
        _queuedTail = *_sqTail;
    }

    /// <summary>The ring's descriptor.</summary>
    public int Fd => _ring.Fd;

    /// <summary>How many operations the submission ring holds.</summary>
    public int SubmissionEntries { get; }

    /// <summary>How many completions the completion ring holds (the kernel keeps overflow, it drops none).</summary>
    public int CompletionEntries { get; }

    /// <summary>Operations queued and not yet taken by the kernel.</summary>
    public int Queued => (int)(_queuedTail - Volatile.Read(ref *_sqHead));

    /// <summary>Completions waiting to be read.</summary>
    public int CompletionsReady => (int)(Volatile.Read(ref *_cqTail) - *_cqHead);

    /// <summary>Queues a no-op that completes with result 0 (useful to wake or test the ring).</summary>
    public bool TryNop(ulong userData)
    {
        IoUringSqe* sqe = Next();
        if (sqe is null) return false;
        sqe->Opcode = OpNop;
        sqe->UserData = userData;
        return true;
    }

    /// <summary>
    /// Queues an accept on a listening socket. With <paramref name="multishot"/> one submission
    /// completes once per accepted connection (<see cref="IoUringCompletion.HasMore"/> stays true
    /// while it remains armed). Accepted descriptors are close-on-exec; the result is the new descriptor.
    /// </summary>
    public bool TryAccept(int listenFd, ulong userData, bool multishot = false)
    {
        IoUringSqe* sqe = Next();
        if (sqe is null) return false;
        sqe->Opcode = OpAccept;
        sqe->Fd = listenFd;
        sqe->OpFlags = AcceptCloseOnExec;
        sqe->IoPrio = multishot ? AcceptMultishot : (ushort)0;
        sqe->UserData = userData;
        return true;
    }

    /// <summary>Queues a receive into a buffer of the caller's; the result is the byte count (0 at end of stream).</summary>
    public bool TryReceive(int fd, nint buffer, int length, ulong userData)
    {
        IoUringSqe* sqe = Next();
        if (sqe is null) return false;
        sqe->Opcode = OpRecv;
        sqe->Fd = fd;
        sqe->Addr = (ulong)buffer;
        sqe->Len = (uint)length;
        sqe->UserData = userData;
        return true;
    }

    /// <summary>
    /// Queues a receive whose buffer the kernel picks from <paramref name="buffers"/> when data
    /// arrives, so an idle connection holds no buffer. With <paramref name="multishot"/> one submission
    /// completes once per arrival while it stays armed; when the group has no free buffer the
    /// operation completes with <c>-ENOBUFS</c> and is disarmed: recycle buffers and queue it again.
    /// </summary>
    public bool TryReceive(int fd, IoUringBufferRing buffers, ulong userData, bool multishot = true)
    {
        ArgumentNullException.ThrowIfNull(buffers);
        IoUringSqe* sqe = Next();
        if (sqe is null) return false;
        sqe->Opcode = OpRecv;
        sqe->Fd = fd;
        sqe->Flags = SqeBufferSelect;
        sqe->BufGroup = buffers.GroupId;
        sqe->IoPrio = multishot ? RecvMultishot : (ushort)0;
        sqe->UserData = userData;
        return true;
    }

    /// <summary>Queues a send of <paramref name="length"/> bytes at <paramref name="buffer"/>; the result is the byte count sent.</summary>
    public bool TrySend(int fd, nint buffer, int length, ulong userData)
    {
        IoUringSqe* sqe = Next();
        if (sqe is null) return false;
        sqe->Opcode = OpSend;
        sqe->Fd = fd;
        sqe->Addr = (ulong)buffer;
        sqe->Len = (uint)length;
        sqe->OpFlags = SendNoSignal;
        sqe->UserData = userData;
        return true;
    }

    /// <summary>
    /// Queues a one-shot poll of <paramref name="fd"/> for <paramref name="events"/> (<c>POLLIN</c> = 1,
    /// <c>POLLOUT</c> = 4...): it completes once the descriptor is ready, with the events that occurred.
    /// Works on any pollable descriptor (pipes, eventfds), not only sockets.
    /// </summary>
    public bool TryPoll(int fd, uint events, ulong userData)
    {
        IoUringSqe* sqe = Next();
        if (sqe is null) return false;
        sqe->Opcode = OpPollAdd;
        sqe->Fd = fd;
        sqe->OpFlags = events; // poll32_events shares the operation-flags word
        sqe->UserData = userData;
        return true;
    }

    /// <summary>Queues the cancellation of every operation queued with <paramref name="targetUserData"/>
    /// (they complete with <c>-ECANCELED</c>; this one with the count cancelled or <c>-ENOENT</c>).</summary>
    public bool TryCancel(ulong targetUserData, ulong userData)
    {
        IoUringSqe* sqe = Next();
        if (sqe is null) return false;
        sqe->Opcode = OpAsyncCancel;
        sqe->Addr = targetUserData;
        sqe->OpFlags = AsyncCancelAll;
        sqe->UserData = userData;
        return true;
    }

    /// <summary>
    /// Hands every queued operation to the kernel and waits until at least
    /// <paramref name="minComplete"/> completions are ready (0: do not wait). One system call.
    /// </summary>
    /// <returns>How many operations the kernel took.</returns>
    public int SubmitAndWait(int minComplete = 0) => Enter(minComplete, null);

    /// <summary>As <see cref="SubmitAndWait(int)"/>, but returns after <paramref name="timeout"/> even if fewer completions are ready.</summary>
    public int SubmitAndWait(int minComplete, TimeSpan timeout)
    {
        Timespec ts = new() { Seconds = (long)timeout.TotalSeconds, Nanoseconds = timeout.Ticks % TimeSpan.TicksPerSecond * 100 };
        GeteventsArg arg = new() { Ts = (ulong)&ts };
        return Enter(minComplete, &arg);
    }

    private int Enter(int minComplete, GeteventsArg* arg)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(minComplete);
        Volatile.Write(ref *_sqTail, _queuedTail);
        // Everything published that the kernel has not taken yet, including what an interrupted call left.
        uint toSubmit = _queuedTail - Volatile.Read(ref *_sqHead);
        uint flags = EnterGetEvents | (arg is null ? 0 : EnterExtArg);
        int n = IoUringCalls.Enter(_ring.Fd, toSubmit, (uint)minComplete, flags, arg, arg is null ? 0 : sizeof(GeteventsArg));
        if (n >= 0) return n;
        // A timeout, a signal, or completions backed up past the ring (read them, then call again).
        return -n is ETIME or Errnos.EINTR or EBUSY ? 0 : throw new ErrnoException("io_uring_enter", -n);
    }

    /// <summary>Takes the oldest completion, if any.</summary>
    public bool TryGetCompletion(out IoUringCompletion completion)
    {
        uint head = *_cqHead;
        if (head == Volatile.Read(ref *_cqTail))
        {
            completion = default;
            return false;
        }
        IoUringCqe* cqe = &_cqes[head & _cqMask];
        completion = new IoUringCompletion(cqe->UserData, cqe->Res, cqe->Flags);
        Volatile.Write(ref *_cqHead, head + 1);
        return true;
    }

    /// <summary>Takes up to <c>into.Length</c> completions, oldest first, in one pass; returns how many.</summary>
    public int GetCompletions(Span<IoUringCompletion> into)
    {
        uint head = *_cqHead;
        uint tail = Volatile.Read(ref *_cqTail);
        int n = (int)Math.Min((uint)into.Length, tail - head);
        for (int i = 0; i < n; i++)
        {
            IoUringCqe* cqe = &_cqes[(head + (uint)i) & _cqMask];
            into[i] = new IoUringCompletion(cqe->UserData, cqe->Res, cqe->Flags);
        }
        Volatile.Write(ref *_cqHead, head + (uint)n);
        return n;
    }

    /// <summary>
    /// Registers a ring of <paramref name="count"/> provided buffers of <paramref name="size"/> bytes
    /// each as buffer group <paramref name="groupId"/>, for receives that let the kernel pick a buffer.
    /// </summary>
    public IoUringBufferRing RegisterBufferRing(ushort groupId, int count, int size)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new IoUringBufferRing(this, groupId, count, size);
    }

    /// <summary>Unmaps the rings and closes the ring; operations still in flight are cancelled by the kernel.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Unmap(_sqes, _sqesSize);
        Unmap(_rings, _ringsSize);
        _ring.Dispose();
    }

    private IoUringSqe* Next()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_queuedTail - Volatile.Read(ref *_sqHead) >= (uint)SubmissionEntries)
        {
            return null;
        }
        IoUringSqe* sqe = &_sqes[_queuedTail & _sqMask];
        *sqe = default;
        _queuedTail++;
        return sqe;
    }

    /// <summary><c>struct __kernel_timespec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct GeteventsArg
    {
        public ulong Sigmask;
        public uint SigmaskSize;
        public uint Pad;
        public ulong Ts;
    }
}
