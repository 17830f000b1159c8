using System.Runtime.InteropServices;

namespace Plexus.Native;

/// <summary>
/// <c>io_uring(7)</c> through raw <c>syscall</c>s: liburing is mostly inline header code that
/// P/Invoke cannot reach, and the three calls plus <c>mmap</c> are the whole kernel interface.
/// Layouts and numbers follow <c>linux/io_uring.h</c>; the syscall numbers are the same on every
/// 64-bit Linux architecture.
/// </summary>
internal static unsafe partial class LibC
{
    internal const nint SYS_io_uring_setup = 425;
    internal const nint SYS_io_uring_enter = 426;
    internal const nint SYS_io_uring_register = 427;

    internal const uint IORING_SETUP_CQSIZE = 1U << 3;
    internal const uint IORING_SETUP_CLAMP = 1U << 4;
    internal const uint IORING_SETUP_SUBMIT_ALL = 1U << 7;
    internal const uint IORING_SETUP_COOP_TASKRUN = 1U << 8;
    internal const uint IORING_SETUP_SINGLE_ISSUER = 1U << 12;
    internal const uint IORING_SETUP_DEFER_TASKRUN = 1U << 13;

    internal const uint IORING_FEAT_SINGLE_MMAP = 1U << 0;
    internal const uint IORING_FEAT_NODROP = 1U << 1;

    internal const uint IORING_ENTER_GETEVENTS = 1U << 0;
    internal const uint IORING_ENTER_EXT_ARG = 1U << 3;
    internal const uint IORING_ASYNC_CANCEL_ALL = 1U << 0;

    internal const long IORING_OFF_SQ_RING = 0;
    internal const long IORING_OFF_CQ_RING = 0x8000000;
    internal const long IORING_OFF_SQES = 0x10000000;

    internal const uint IORING_REGISTER_PBUF_RING = 22;
    internal const uint IORING_UNREGISTER_PBUF_RING = 23;

    internal const byte IORING_OP_NOP = 0;
    internal const byte IORING_OP_TIMEOUT = 11;
    internal const byte IORING_OP_ACCEPT = 13;
    internal const byte IORING_OP_ASYNC_CANCEL = 14;
    internal const byte IORING_OP_CLOSE = 19;
    internal const byte IORING_OP_SEND = 26;
    internal const byte IORING_OP_RECV = 27;

    internal const byte IOSQE_BUFFER_SELECT = 1 << 5;

    internal const ushort IORING_RECV_MULTISHOT = 1 << 1;
    internal const ushort IORING_ACCEPT_MULTISHOT = 1 << 0;

    internal const uint IORING_CQE_F_BUFFER = 1U << 0;
    internal const uint IORING_CQE_F_MORE = 1U << 1;
    internal const int IORING_CQE_BUFFER_SHIFT = 16;

    internal const int MAP_POPULATE = 0x8000;
    internal const int MAP_PRIVATE = 0x02;
    internal const int MAP_ANONYMOUS = 0x20;

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoSqringOffsets
    {
        public uint Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1;
        public ulong Resv2;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoCqringOffsets
    {
        public uint Head, Tail, RingMask, RingEntries, Overflow, Cqes, Flags, Resv1;
        public ulong Resv2;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoUringParams
    {
        public uint SqEntries, CqEntries, Flags, SqThreadCpu, SqThreadIdle, Features, WqFd;
        public fixed uint Resv[3];
        public IoSqringOffsets SqOff;
        public IoCqringOffsets CqOff;
    }

    /// <summary>A submission queue entry (64 bytes); only the fields Plexus uses are named.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    internal struct IoUringSqe
    {
        [FieldOffset(0)] public byte Opcode;
        [FieldOffset(1)] public byte Flags;
        /// <summary>For accept and recv: <c>IORING_ACCEPT_MULTISHOT</c>, <c>IORING_RECV_MULTISHOT</c>.</summary>
        [FieldOffset(2)] public ushort IoPrio;
        [FieldOffset(4)] public int Fd;
        [FieldOffset(8)] public ulong Off;
        [FieldOffset(16)] public ulong Addr;
        [FieldOffset(24)] public uint Len;
        [FieldOffset(28)] public uint OpFlags;
        [FieldOffset(32)] public ulong UserData;
        [FieldOffset(40)] public ushort BufGroup;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoUringCqe
    {
        public ulong UserData;
        public int Res;
        public uint Flags;
    }

    /// <summary>One provided buffer (16 bytes); the ring's tail overlays the first entry's last field.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct IoUringBuf
    {
        public ulong Addr;
        public uint Len;
        public ushort Bid;
        public ushort Resv;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoUringBufReg
    {
        public ulong RingAddr;
        public uint RingEntries;
        public ushort Bgid;
        public ushort Pad;
        public fixed ulong Resv[3];
    }

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    internal static partial int io_uring_setup(nint number, uint entries, IoUringParams* p);

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    internal static partial int io_uring_enter(nint number, int fd, uint toSubmit, uint minComplete, uint flags, void* sig, nint sigSize);

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    internal static partial int io_uring_register(nint number, int fd, uint opcode, void* arg, uint nrArgs);
}
