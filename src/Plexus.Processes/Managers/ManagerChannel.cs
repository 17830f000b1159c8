using System.Diagnostics;
using Plexus.Native;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// The fast path of one manager connection on a Unix socket: a shared-memory channel that carries one
/// blocking call and its reply at a time. The client creates an anonymous <c>memfd</c> (it has no name
/// in any filesystem) and hands it to the manager over the already authenticated socket with
/// <c>SCM_RIGHTS</c>, so only the two processes can map it.
/// </summary>
/// <remarks>
/// <para>
/// The channel is one state word plus a data area. The client writes a frame (the same 4-byte length plus
/// MessagePack payload as on the socket) and sets <see cref="Request"/>; the manager's thread for this
/// client copies it out, sets <see cref="Busy"/>, runs it and writes the reply frame with
/// <see cref="Reply"/> (or sends it on the socket and sets <see cref="ReplyOnSocket"/> when it does not
/// fit). A waiting side spins for at most 20 µs, and only while spinning pays (see <c>ShouldSpin</c>),
/// before it sleeps on a futex on the state word: with free cores a round trip takes microseconds and no
/// wake-up; on a busy machine the handoff is a plain futex wake; an idle client or manager uses no CPU.
/// </para>
/// <para>
/// A waker learns whether the other side sleeps from its sleeping flag. Both sides publish with a full
/// fence (an interlocked exchange) before reading the other side's word, so a sleeper is never missed.
/// Closing (the socket broke) is a local flag: sleepers wake in slices and check it.
/// </para>
/// </remarks>
internal sealed unsafe class ManagerChannel : IDisposable
{
    /// <summary>The mapping a client creates: 1 MiB; pages are touched only as frames need them.</summary>
    public const int DefaultSize = 1 << 20;

    /// <summary>The channel is free: the manager waits for a request.</summary>
    public const int Idle = 0;

    /// <summary>A request frame is in the data area.</summary>
    public const int Request = 1;

    /// <summary>The manager copied the request out and runs it (or parked it: a lock's acquire, a queue's get).</summary>
    public const int Busy = 2;

    /// <summary>A reply frame is in the data area.</summary>
    public const int Reply = 3;

    /// <summary>The reply was too big for the data area and went on the socket.</summary>
    public const int ReplyOnSocket = 4;

    private const int MinSize = 64 * 1024;
    private const int MaxSize = 64 << 20;
    private const int HeaderSize = 256;
    private const int ClientSleepingOffset = 64;
    private const int ServerSleepingOffset = 128;
    private const int ClientSliceMs = 50;
    private const int ServerSliceMs = 500;

    /// <summary>How long a waiting side spins before it sleeps, when spinning pays (see <see cref="ShouldSpin"/>).</summary>
    private static readonly long s_spinTicks = Stopwatch.Frequency * 20 / 1_000_000;

    /// <summary>The most waits that skip spinning after spins kept failing.</summary>
    private const int MaxBackoff = 255;

    private readonly int _size;
    private byte* _base;
    private int _fd;
    private volatile bool _closed;
    private bool _wokePeer;
    private int _probes;
    private int _skip;
    private int _backoff;

    private ManagerChannel(int fd, int size)
    {
        try
        {
            _base = (byte*)MemoryFile.Map(fd, size);
        }
        catch
        {
            Descriptors.Close(fd);
            throw;
        }
        _fd = fd;
        _size = size;
    }

    /// <summary>Bytes a frame (header included) may take in the data area.</summary>
    public int Capacity => _size - HeaderSize;

    /// <summary>The data area; valid until <see cref="Dispose"/>.</summary>
    public byte* Data => _base + HeaderSize;

    /// <summary>True once unmapped in this process.</summary>
    public bool IsDisposed => _base == null;

    /// <summary>True once the connection broke: waits end with -1 / false.</summary>
    public bool IsClosed => _closed;

    /// <summary>The memfd, until <see cref="ReleaseDescriptor"/> (the mapping stays).</summary>
    public int Descriptor => _fd;

    private int* State => (int*)_base;

    private int* ClientSleeping => (int*)(_base + ClientSleepingOffset);

    private int* ServerSleeping => (int*)(_base + ServerSleepingOffset);

    /// <summary>Client side: a fresh zeroed channel of <paramref name="size"/> bytes.</summary>
    public static ManagerChannel Create(int size = DefaultSize)
    {
        // Sealed at its size, so the manager can rely on every mapped byte existing (a shrunk memfd would
        // turn the manager's reads into SIGBUS).
        return new ManagerChannel(MemoryFile.Create("plexus-manager-channel", size, sealSize: true), size);
    }

    /// <summary>Manager side: maps the memfd a client sent; its size is read from the descriptor, never trusted from the client.</summary>
    public static ManagerChannel Map(int fd)
    {
        // IsSizeSealed first: it fails soft on any descriptor, and a sealed memfd's size cannot change after it is read.
        if (!MemoryFile.IsSizeSealed(fd))
        {
            Descriptors.Close(fd);
            throw new InvalidOperationException("a manager channel must be a memfd whose size is sealed against shrinking and growing");
        }
        long size = MemoryFile.Size(fd);
        if (size is < MinSize or > MaxSize)
        {
            Descriptors.Close(fd);
            throw new InvalidOperationException($"a manager channel must be between {MinSize} and {MaxSize} bytes, not {size}");
        }
        ManagerChannel channel = new(fd, (int)size);
        channel.ReleaseDescriptor();
        return channel;
    }

    /// <summary>Closes the descriptor; the mapping stays valid.</summary>
    public void ReleaseDescriptor()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        Descriptors.Close(fd);
    }

    /// <summary>Client: the request frame is written; hands it to the manager.</summary>
    public void PostRequest() => Publish(Request, ServerSleeping);

    /// <summary>Manager: the request is copied out.</summary>
    public void MarkBusy() => Volatile.Write(ref *State, Busy);

    /// <summary>Manager: the reply frame is written; hands it to the client.</summary>
    public void PostReply() => Publish(Reply, ClientSleeping);

    /// <summary>Manager: the reply went on the socket.</summary>
    public void PostReplyOnSocket() => Publish(ReplyOnSocket, ClientSleeping);

    /// <summary>Client: the reply is consumed.</summary>
    public void MarkIdle() => Volatile.Write(ref *State, Idle);

    /// <summary>Client: waits for <see cref="Reply"/> or <see cref="ReplyOnSocket"/>; -1 when closed first.</summary>
    public int AwaitReply() => Await(Reply, ReplyOnSocket, ClientSleeping, ClientSliceMs, ShouldSpin());

    /// <summary>Manager: waits for the next request; false when closed first.</summary>
    public bool AwaitRequest() => Await(Request, Request, ServerSleeping, ServerSliceMs, ShouldSpin()) == Request;

    /// <summary>Ends every wait (now or within one sleep slice) on this side.</summary>
    public void Close()
    {
        _closed = true;
        Interlocked.MemoryBarrier();
        if (_base != null)
        {
            Futex.WakeAll(State);
        }
    }

    private void Publish(int state, int* peerSleeping)
    {
        Interlocked.Exchange(ref *State, state);
        if (Volatile.Read(ref *peerSleeping) != 0)
        {
            // Both sides may sleep on the one word (a parked call's client and the manager's idle thread): wake both.
            Futex.WakeAll(State);
            _wokePeer = true;
        }
        else
        {
            _wokePeer = false;
        }
    }

    /// <summary>
    /// Whether to spin for the answer. Not when the peer had to be woken: the kernel tends to run it on
    /// this core, where spinning would only delay it, and a wake-up on another core takes longer than a
    /// spin. Not for a while after spins failed (backing off up to <see cref="MaxBackoff"/> waits): on a
    /// machine with more runnable threads than cores the handoff is then a plain futex wake, which costs
    /// no CPU. Now and then it spins anyway, so the fast regime (both sides awake on their own cores,
    /// a round trip in microseconds) is found again once cores are free.
    /// </summary>
    private bool ShouldSpin()
    {
        if (_skip > 0)
        {
            _skip--;
            return false;
        }
        return !_wokePeer || (++_probes & 15) == 0;
    }

    private void Spun(bool answered)
    {
        if (answered)
        {
            _backoff = 0;
        }
        else
        {
            _backoff = Math.Min(_backoff * 2 + 1, MaxBackoff);
            _skip = _backoff;
        }
    }

    private int Await(int wanted, int alsoWanted, int* sleeping, int sliceMs, bool spin)
    {
        if (spin)
        {
            long spinUntil = Stopwatch.GetTimestamp() + s_spinTicks;
            while (true)
            {
                int state = Volatile.Read(ref *State);
                if (state == wanted || state == alsoWanted)
                {
                    Spun(answered: true);
                    return state;
                }
                if (_closed || Stopwatch.GetTimestamp() >= spinUntil)
                {
                    break;
                }
                Thread.SpinWait(8);
            }
            Spun(answered: false);
        }
        while (true)
        {
            int state = Volatile.Read(ref *State);
            if (state == wanted || state == alsoWanted)
            {
                return state;
            }
            if (_closed)
            {
                return -1;
            }
            Interlocked.Exchange(ref *sleeping, 1);
            state = Volatile.Read(ref *State);
            if (state != wanted && state != alsoWanted && !_closed)
            {
                Futex.Wait(State, state, sliceMs);
            }
            Volatile.Write(ref *sleeping, 0);
        }
    }

    /// <summary>Unmaps and closes. Call only when no thread of this process waits on or touches the channel.</summary>
    public void Dispose()
    {
        _closed = true;
        byte* p = _base;
        if (p == null)
        {
            return;
        }
        _base = null;
        MemoryFile.Unmap(p, _size);
        ReleaseDescriptor();
    }
}
