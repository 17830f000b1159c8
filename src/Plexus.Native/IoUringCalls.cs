namespace Plexus.Native;

/// <summary>
/// The <c>io_uring(7)</c> kernel interface for a binding that manages its own rings: the three
/// system calls, the ring mappings, and the flag and opcode numbers of <c>linux/io_uring.h</c>
/// (each documented under its kernel name, so it can be checked against the header). The calls return a negated
/// errno rather than throwing, so <see cref="Enter"/> costs one system call and no allocation.
/// </summary>
public static unsafe class IoUringCalls
{
    /// <summary><c>IORING_SETUP_CQSIZE</c>: Setup flag: <see cref="IoUringParams.CqEntries"/> sizes the completion queue.</summary>
    public const uint SetupCqSize = 1U << 3;

    /// <summary><c>IORING_SETUP_CLAMP</c>: Setup flag: clamp oversized entry counts instead of failing.</summary>
    public const uint SetupClamp = 1U << 4;

    /// <summary><c>IORING_SETUP_SUBMIT_ALL</c>: Setup flag: keep submitting a batch after one entry fails.</summary>
    public const uint SetupSubmitAll = 1U << 7;

    /// <summary><c>IORING_SETUP_SINGLE_ISSUER</c>: Setup flag: only one thread ever submits.</summary>
    public const uint SetupSingleIssuer = 1U << 12;

    /// <summary><c>IORING_SETUP_DEFER_TASKRUN</c>: Setup flag: run completion work only when the submitter enters with <see cref="EnterGetEvents"/> (needs <see cref="SetupSingleIssuer"/>).</summary>
    public const uint SetupDeferTaskRun = 1U << 13;

    /// <summary><c>IORING_FEAT_SINGLE_MMAP</c>: Feature: both rings share one mapping (at <see cref="OffsetSqRing"/>).</summary>
    public const uint FeatureSingleMmap = 1U << 0;

    /// <summary><c>IORING_FEAT_NODROP</c>: Feature: completions are never dropped when the completion queue is full.</summary>
    public const uint FeatureNoDrop = 1U << 1;

    /// <summary><c>IORING_ENTER_GETEVENTS</c>: Enter flag: wait for completions.</summary>
    public const uint EnterGetEvents = 1U << 0;

    /// <summary><c>IORING_ENTER_EXT_ARG</c>: Enter flag: the argument is a <c>struct io_uring_getevents_arg</c> (a timeout).</summary>
    public const uint EnterExtArg = 1U << 3;

    /// <summary><c>IORING_ASYNC_CANCEL_ALL</c>: Cancel flag: cancel every request that matches, not just the first.</summary>
    public const uint AsyncCancelAll = 1U << 0;

    /// <summary><c>IORING_OFF_SQ_RING</c>: Mapping offset of the rings.</summary>
    public const long OffsetSqRing = 0;

    /// <summary><c>IORING_OFF_SQES</c>: Mapping offset of the submission entries.</summary>
    public const long OffsetSqes = 0x10000000;

    /// <summary><c>IORING_REGISTER_PBUF_RING</c>: Register opcode: register a provided-buffer ring (<see cref="IoUringBufReg"/>).</summary>
    public const uint RegisterPbufRing = 22;

    /// <summary><c>IORING_UNREGISTER_PBUF_RING</c>: Register opcode: unregister a provided-buffer ring.</summary>
    public const uint UnregisterPbufRing = 23;

    /// <summary><c>IORING_OP_NOP</c>: Opcode: do nothing (completes at once).</summary>
    public const byte OpNop = 0;

    /// <summary><c>IORING_OP_POLL_ADD</c>: Opcode: wait for readiness, like <c>poll</c>.</summary>
    public const byte OpPollAdd = 6;

    /// <summary><c>IORING_OP_ACCEPT</c>: Opcode: <c>accept4</c>.</summary>
    public const byte OpAccept = 13;

    /// <summary><c>IORING_OP_ASYNC_CANCEL</c>: Opcode: cancel requests by user data.</summary>
    public const byte OpAsyncCancel = 14;

    /// <summary><c>IORING_OP_SEND</c>: Opcode: <c>send</c>.</summary>
    public const byte OpSend = 26;

    /// <summary><c>IORING_OP_RECV</c>: Opcode: <c>recv</c>.</summary>
    public const byte OpRecv = 27;

    /// <summary><c>IOSQE_BUFFER_SELECT</c>: Entry flag: the kernel picks the buffer from <see cref="IoUringSqe.BufGroup"/>.</summary>
    public const byte SqeBufferSelect = 1 << 5;

    /// <summary><c>IORING_RECV_MULTISHOT</c>: Receive flag (in <see cref="IoUringSqe.IoPrio"/>): keep receiving, one completion per receive.</summary>
    public const ushort RecvMultishot = 1 << 1;

    /// <summary><c>IORING_ACCEPT_MULTISHOT</c>: Accept flag (in <see cref="IoUringSqe.IoPrio"/>): keep accepting, one completion per connection.</summary>
    public const ushort AcceptMultishot = 1 << 0;

    /// <summary><c>IORING_CQE_F_BUFFER</c>: Completion flag: the upper 16 bits name the provided buffer used.</summary>
    public const uint CqeBuffer = 1U << 0;

    /// <summary><c>IORING_CQE_F_MORE</c>: Completion flag: a multishot request stays armed; more completions follow.</summary>
    public const uint CqeMore = 1U << 1;

    /// <summary><c>IORING_CQE_BUFFER_SHIFT</c>: Shift of the buffer id in <see cref="IoUringCqe.Flags"/>.</summary>
    public const int CqeBufferShift = 16;

    /// <summary><c>SOCK_CLOEXEC</c>: accept flag (in <see cref="IoUringSqe.OpFlags"/>): accepted descriptors are close-on-exec.</summary>
    public const uint AcceptCloseOnExec = LibC.SOCK_CLOEXEC;

    /// <summary><c>MSG_NOSIGNAL</c>: send flag (in <see cref="IoUringSqe.OpFlags"/>): a closed peer gives <c>-EPIPE</c>, not <c>SIGPIPE</c>.</summary>
    public const uint SendNoSignal = LibC.MSG_NOSIGNAL;

    /// <summary><c>io_uring_setup</c>: the ring's descriptor (close-on-exec), or the negated errno. The kernel fills in <paramref name="parameters"/>.</summary>
    public static int Setup(uint entries, ref IoUringParams parameters)
    {
        fixed (IoUringParams* p = &parameters)
        {
            return LibC.OrErrno(LibC.io_uring_setup(LibC.SYS_io_uring_setup, entries, p));
        }
    }

    /// <summary>
    /// <c>io_uring_enter</c>: submits <paramref name="toSubmit"/> entries and, with
    /// <see cref="EnterGetEvents"/>, waits for <paramref name="minComplete"/> completions.
    /// <paramref name="argument"/> (<paramref name="argumentSize"/> bytes) is a signal mask or, with
    /// <see cref="EnterExtArg"/>, a <c>struct io_uring_getevents_arg</c>. Returns how many
    /// entries the kernel took, or the negated errno (<c>-ETIME</c>, <c>-EINTR</c>, <c>-EBUSY</c>).
    /// </summary>
    public static int Enter(int ringFd, uint toSubmit, uint minComplete, uint flags, void* argument, nint argumentSize)
        => LibC.OrErrno(LibC.io_uring_enter(LibC.SYS_io_uring_enter, ringFd, toSubmit, minComplete, flags, argument, argumentSize));

    /// <summary><c>io_uring_register</c>: the call's result, or the negated errno.</summary>
    public static int Register(int ringFd, uint opcode, void* argument, uint argumentCount)
        => LibC.OrErrno(LibC.io_uring_register(LibC.SYS_io_uring_register, ringFd, opcode, argument, argumentCount));

    /// <summary>
    /// Maps <paramref name="size"/> bytes of the ring <paramref name="ringFd"/> at <paramref name="offset"/>
    /// (<see cref="OffsetSqRing"/> or <see cref="OffsetSqes"/>), shared and prefaulted.
    /// Throws <see cref="ErrnoException"/> naming <paramref name="what"/> on failure; release with <see cref="Unmap"/>.
    /// </summary>
    public static void* MapRing(int ringFd, nuint size, long offset, string what)
    {
        void* p = LibC.mmap(null, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE, ringFd, offset);
        return p == (void*)-1 ? throw ErrnoException.FromLastError("mmap", what) : p;
    }

    /// <summary>
    /// Maps <paramref name="size"/> bytes of zeroed, page-aligned private memory, as a provided-buffer
    /// ring needs. Throws <see cref="ErrnoException"/> naming <paramref name="what"/>; release with <see cref="Unmap"/>.
    /// </summary>
    public static void* MapAnonymous(nuint size, string what)
    {
        void* p = LibC.mmap(null, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
        return p == (void*)-1 ? throw ErrnoException.FromLastError("mmap", what) : p;
    }

    /// <summary>Unmaps what <see cref="MapRing"/> or <see cref="MapAnonymous"/> mapped (errors ignored: used on cleanup paths).</summary>
    public static void Unmap(void* address, nuint size) => LibC.munmap(address, size);
}
