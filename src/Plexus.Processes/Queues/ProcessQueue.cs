using System.Buffers;
using System.Runtime.CompilerServices;
using MessagePack;
using Plexus.Processes.Serialization;
using Plexus.Processes.Sync;

namespace Plexus.Processes;

/// <summary>
/// A multi-producer, multi-consumer FIFO queue shared by processes, Python's
/// <c>multiprocessing.Queue</c>. Items are serialized as <typeparamref name="T"/> with
/// <see cref="PlexusSerializer"/> into a ring buffer in shared memory; pass the queue to children as
/// a <see cref="ChildProcess"/> start argument. <see cref="ProcessQueue"/> is the <c>object</c> form.
/// </summary>
/// <remarks>
/// <para>The ring is bounded by bytes (<c>capacityBytes</c>) and optionally by an item count
/// (<c>maxSize</c>, Python's <c>maxsize</c>). Producers serialize outside any lock, then copy the
/// record in under a futex lock that only producers take; consumers take records without a lock, by
/// one compare-and-swap of the read index. Waiters spin briefly (yielding the core after a few
/// microseconds) before sleeping on a "not empty" / "not full" futex word, and a put or get makes a
/// system call to wake only when a process has registered as sleeping since the last wake, so a busy
/// consumer is never woken per message. A <c>byte[]</c> goes into the ring as is (one copy each way).</para>
/// <para><b>A process killed mid-operation.</b> An item becomes visible by one aligned 8-byte store
/// of the write index, made after its bytes are copied; a get copies the item out, then takes it by
/// one compare-and-swap of the read index. So a producer killed inside <see cref="Put(T)"/> left its
/// item either wholly in the queue or not at all, and a consumer killed inside a get either left the
/// item in the queue (killed before the swap: the next consumer gets it) or took it with it (killed
/// after: that one item is lost, as in Python). A consumer killed while sleeping in a get holds
/// nothing and loses nothing. A process killed while holding the queue's lock (a producer, or a
/// consumer registering to sleep) is detected by the next process that needs the lock (within about
/// 100 ms); that process takes the lock over, recounts the items from the indexes and carries on, so
/// no other item is lost or duplicated.</para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Plexus names process-shared types after Python's (Queue, JoinableQueue) with the Process prefix.")]
public unsafe class ProcessQueue<T> : IProcessShareable<ProcessQueue<T>>, IDisposable
{
    /// <summary>The default ring size: 1 MiB.</summary>
    public const int DefaultCapacityBytes = 1 << 20;

    private const int HeaderSize = 384;  // QueueHeader, padded

    [ThreadStatic, System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006", Justification = "t_ marks a thread-static field")]

    private static ArrayBufferWriter<byte>? t_writer;

    [ThreadStatic, System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006", Justification = "t_ marks a thread-static field")]

    private static byte[]? t_readBuffer;

    private readonly SharedMemory _memory;

    private long _tailSeen;  // the write index as this process last saw it; never ahead of the real one (it only grows)

    private long _headSeen;  // the read index as this process last saw it (under the lock); never ahead of the real one

    /// <summary>Creates a queue.</summary>
    /// <param name="maxSize">The most items it holds (Python's <c>maxsize</c>); 0 or less: no item limit.</param>
    /// <param name="capacityBytes">The ring size in bytes; an item's serialized form (plus 4 bytes) must fit.</param>
    public ProcessQueue(int maxSize = 0, int capacityBytes = DefaultCapacityBytes)
    {
        if (capacityBytes is < 64 or > 1 << 30)
        {
            throw new ArgumentOutOfRangeException(nameof(capacityBytes), capacityBytes, "the ring must be between 64 bytes and 1 GiB");
        }
        int capacity = (capacityBytes + 3) & ~3;
        _memory = SharedMemory.Create("queue", HeaderSize + (long)capacity);
        QueueHeader* h = (QueueHeader*)_memory.Pointer;
        h->Capacity = capacity;
        h->MaxItems = Math.Max(0, maxSize);
    }

    private protected ProcessQueue(SharedMemory memory) => _memory = memory;

    /// <summary>The item limit (0: none), Python's <c>maxsize</c>.</summary>
    public int MaxSize => Read(&MaxItemsOf);

    /// <summary>The ring size in bytes.</summary>
    public int CapacityBytes => Read(&CapacityOf);

    /// <summary>Items in the queue now; approximate while others put and get (Python's <c>qsize()</c>).</summary>
    public int Count => Read(&CountOf);

    /// <summary>Whether the queue is empty now (Python's <c>empty()</c>; approximate).</summary>
    public bool IsEmpty => Read(&EmptyOf) != 0;

    /// <summary>Whether the item limit is reached now (Python's <c>full()</c>; approximate).</summary>
    public bool IsFull => Read(&FullOf) != 0;

    /// <summary>Whether <see cref="Close"/> was called in this process.</summary>
    public bool IsClosed => _memory.IsDisposed;

    /// <summary>Puts <paramref name="item"/>, waiting for room without limit (Python's <c>put(item)</c>).</summary>
    public void Put(T item) => Put(item, Timeout.InfiniteTimeSpan, CancellationToken.None);

    /// <summary>Puts <paramref name="item"/>, waiting for room until <paramref name="cancellationToken"/> fires.</summary>
    /// <exception cref="OperationCanceledException">The token fired first; nothing was put.</exception>
    public void Put(T item, CancellationToken cancellationToken) => Put(item, Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Puts <paramref name="item"/>, waiting for room up to <paramref name="timeout"/>.</summary>
    /// <exception cref="ProcessQueueFullException">No room came free in time.</exception>
    /// <exception cref="NotSerializableException">The item cannot cross to another process.</exception>
    public void Put(T item, TimeSpan timeout) => Put(item, timeout, CancellationToken.None);

    /// <summary>Puts <paramref name="item"/>, waiting for room up to <paramref name="timeout"/> or until <paramref name="cancellationToken"/> fires.</summary>
    /// <exception cref="ProcessQueueFullException">No room came free in time.</exception>
    /// <exception cref="OperationCanceledException">The token fired first; nothing was put.</exception>
    /// <exception cref="NotSerializableException">The item cannot cross to another process.</exception>
    /// <exception cref="ObjectDisposedException">The queue was closed in this process (also while waiting).</exception>
    public void Put(T item, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!PutCore(item, Deadline.From(timeout, cancellationToken)))
        {
            throw new ProcessQueueFullException(timeout == TimeSpan.Zero
                ? $"the queue is full ({Count} items, limit {DescribeLimit()}); nothing was put. Use Put with a timeout to wait for room"
                : $"the queue stayed full for {timeout} ({Count} items, limit {DescribeLimit()}); nothing was put");
        }
    }

    /// <summary>Puts <paramref name="item"/> if there is room now (Python's <c>put_nowait</c>, without the exception).</summary>
    public bool TryPut(T item) => PutCore(item, Deadline.From(TimeSpan.Zero));

    /// <summary>Puts <paramref name="item"/> if room comes free within <paramref name="timeout"/> (as <c>BlockingCollection.TryAdd</c>).</summary>
    public bool TryPut(T item, TimeSpan timeout) => PutCore(item, Deadline.From(timeout));

    /// <summary>Puts <paramref name="item"/> if room comes free within <paramref name="timeout"/>, unless <paramref name="cancellationToken"/> fires first.</summary>
    /// <exception cref="OperationCanceledException">The token fired first; nothing was put.</exception>
    public bool TryPut(T item, TimeSpan timeout, CancellationToken cancellationToken) => PutCore(item, Deadline.From(timeout, cancellationToken));

    /// <summary>Takes the oldest item, waiting without limit (Python's <c>get()</c>).</summary>
    public T Get() => Get(Timeout.InfiniteTimeSpan, CancellationToken.None);

    /// <summary>Takes the oldest item, waiting until <paramref name="cancellationToken"/> fires.</summary>
    /// <exception cref="OperationCanceledException">The token fired first; nothing was taken.</exception>
    public T Get(CancellationToken cancellationToken) => Get(Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Takes the oldest item, waiting up to <paramref name="timeout"/>.</summary>
    /// <exception cref="ProcessQueueEmptyException">No item arrived in time.</exception>
    public T Get(TimeSpan timeout) => Get(timeout, CancellationToken.None);

    /// <summary>Takes the oldest item, waiting up to <paramref name="timeout"/> or until <paramref name="cancellationToken"/> fires.</summary>
    /// <exception cref="ProcessQueueEmptyException">No item arrived in time.</exception>
    /// <exception cref="OperationCanceledException">The token fired first; nothing was taken.</exception>
    /// <exception cref="ObjectDisposedException">The queue was closed in this process (also while waiting).</exception>
    public T Get(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!GetCore(Deadline.From(timeout, cancellationToken), out T item))
        {
            throw new ProcessQueueEmptyException(timeout == TimeSpan.Zero
                ? "the queue is empty; use Get with a timeout to wait for an item, or TryGet"
                : $"no item arrived within {timeout}");
        }
        return item;
    }

    /// <summary>Takes the oldest item if there is one now (Python's <c>get_nowait</c>, without the exception).</summary>
    public bool TryGet(out T item) => GetCore(Deadline.From(TimeSpan.Zero), out item);

    /// <summary>Takes the oldest item if one arrives within <paramref name="timeout"/> (as <c>BlockingCollection.TryTake</c>).</summary>
    public bool TryGet(out T item, TimeSpan timeout) => GetCore(Deadline.From(timeout), out item);

    /// <summary>Takes the oldest item if one arrives within <paramref name="timeout"/>, unless <paramref name="cancellationToken"/> fires first.</summary>
    /// <exception cref="OperationCanceledException">The token fired first; nothing was taken.</exception>
    public bool TryGet(out T item, TimeSpan timeout, CancellationToken cancellationToken) => GetCore(Deadline.From(timeout, cancellationToken), out item);

    /// <summary>
    /// Detaches this process from the queue (Python's <c>close()</c>): later calls here throw
    /// <see cref="ObjectDisposedException"/>; other processes keep using it. Same as <see cref="Dispose()"/>.
    /// </summary>
    public void Close() => Dispose();

    /// <summary>
    /// Unmaps the queue in this process once no call uses it: later calls throw
    /// <see cref="ObjectDisposedException"/>, and so do calls of other threads waiting in it now.
    /// </summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the mapping.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing || _memory.IsDisposed)
        {
            return;
        }
        // Sleepers of this process wait on the sequence words without a timeout: after the dispose mark,
        // bump and wake them, so each either fails its futex wait on the changed word or sees the mark
        // (it reads the word before it checks the mark). Sleepers of other processes wake and sleep again.
        QueueHeader* h = (QueueHeader*)_memory.Enter();
        try
        {
            _memory.Dispose();
            Interlocked.Increment(ref h->NotEmptySequence);
            Interlocked.Increment(ref h->NotFullSequence);
            Interlocked.Increment(ref h->AllDoneSequence);
            Futex.WakeAll(&h->NotEmptySequence);
            Futex.WakeAll(&h->NotFullSequence);
            Futex.WakeAll(&h->AllDoneSequence);
        }
        finally
        {
            _memory.Exit();
        }
    }

    private string DescribeLimit() => MaxSize > 0 ? $"{MaxSize} items / {CapacityBytes} bytes" : $"{CapacityBytes} bytes";

    private TResult Read<TResult>(delegate*<QueueHeader*, TResult> read)
    {
        QueueHeader* h = (QueueHeader*)_memory.Enter();
        try
        {
            return read(h);
        }
        finally
        {
            _memory.Exit();
        }
    }

    private static int MaxItemsOf(QueueHeader* h) => h->MaxItems;

    private static int CapacityOf(QueueHeader* h) => h->Capacity;

    private static int CountOf(QueueHeader* h) => (int)Math.Clamp(Volatile.Read(ref h->Puts) - Volatile.Read(ref h->Takes), 0, int.MaxValue);

    private static int EmptyOf(QueueHeader* h) => Volatile.Read(ref h->Tail) == Volatile.Read(ref h->Head) ? 1 : 0;

    private static int FullOf(QueueHeader* h) => h->MaxItems > 0 && CountOf(h) >= h->MaxItems ? 1 : 0;

    private static byte* RingOf(QueueHeader* h) => (byte*)h + HeaderSize;

    // Fully optimized from the first call: a child that starts and at once moves many items would
    // otherwise run the unoptimized first-tier code for its first few hundred milliseconds.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool PutCore(T item, Deadline deadline)
    {
        // A byte[] goes into the ring as is, behind the MessagePack bin header the serializer would
        // write (the bytes in the ring are the same), saving a copy of the payload.
        Span<byte> binHeader = stackalloc byte[5];
        ReadOnlySpan<byte> prefix = binHeader[..0];
        ReadOnlySpan<byte> body;
        if (typeof(T) == typeof(byte[]) && item is byte[] raw)
        {
            prefix = binHeader[..QueueRing.WriteBinHeader(binHeader, raw.Length)];
            body = raw;
        }
        else
        {
            ArrayBufferWriter<byte> buffer = t_writer ??= new ArrayBufferWriter<byte>(256);
            buffer.ResetWrittenCount();
            try
            {
                PlexusSerializer.Serialize(buffer, item);
            }
            catch (MessagePackSerializationException e)
            {
                throw e.InnerException as NotSerializableException
                    ?? new NotSerializableException(typeof(T), e.InnerException?.Message ?? e.Message);
            }
            body = buffer.WrittenSpan;
            if (buffer.Capacity > 4 << 20)
            {
                t_writer = null;  // do not keep a huge buffer alive per thread
            }
        }
        QueueHeader* h = (QueueHeader*)_memory.Enter();
        try
        {
            long payloadLength = (long)prefix.Length + body.Length;
            if (((4L + payloadLength + 3) & ~3L) > h->Capacity)
            {
                throw new ArgumentException(
                    $"the item serializes to {payloadLength} bytes, more than this queue's ring of {h->Capacity} bytes can hold; " +
                    "create the queue with a larger capacityBytes", nameof(item));
            }
            return PutRecord(h, prefix, body, deadline);
        }
        finally
        {
            _memory.Exit();
        }
    }

    /// <summary>Copies one serialized item into the ring; the caller holds a reference on the memory.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool PutRecord(QueueHeader* h, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> body, Deadline deadline)
    {
        long payloadLength = (long)prefix.Length + body.Length;
        byte* ring = RingOf(h);
        long record = (4L + payloadLength + 3) & ~3L;
        EnterLock(h);
        while (!HasRoom(h, record))
        {
            if (deadline.RemainingMs == 0)
            {
                LockWord.Exit(&h->Lock);
                return false;
            }
            // Spin on the read index, which every get moves: a get wakes registered sleepers only, so
            // a spinning producer costs the consumer no system call, and a full ring refills as it drains.
            // When bytes are short (not items), wait for an eighth of the ring to come free: the
            // producer then writes a burst while the consumer reads lines far behind it, instead of
            // the two trading the same lines record by record. If the consumer stops short of that,
            // the spin ends and the check under the lock below finds whatever room there is.
            long head = Volatile.Read(ref h->Head);
            bool itemsShort = h->MaxItems > 0 && Volatile.Read(ref h->Puts) - Volatile.Read(ref h->Takes) >= h->MaxItems;
            long want = itemsShort ? 1 : Math.Max(record, h->Capacity / 8);
            LockWord.Exit(&h->Lock);
            bool moved = IndexSpin.SpinUntilReached(&h->Head, head + want);
            EnterLock(h);
            if (!moved && !HasRoom(h, record))
            {
                // Register, then look again: a get that moves the read index after this look sees the
                // registration (both are full fences) and wakes this process; one before it shows room.
                Interlocked.Increment(ref h->NotFullSleepers);
                int sequence = Volatile.Read(ref h->NotFullSequence);
                if (!HasRoom(h, record))
                {
                    LockWord.Exit(&h->Lock);
                    Futex.Wait(&h->NotFullSequence, sequence, deadline, _memory, changedOnDispose: true);
                    EnterLock(h);
                }
            }
        }
        long tail = h->Tail;
        int capacity = h->Capacity;
        int at = (int)(tail % capacity);
        *(int*)(ring + at) = (int)payloadLength;
        QueueRing.CopyIn(ring, (at + 4) % capacity, prefix, capacity);
        QueueRing.CopyIn(ring, (at + 4 + prefix.Length) % capacity, body, capacity);
        Interlocked.Increment(ref h->Unfinished);
        Volatile.Write(ref h->Tail, tail + record);  // the commit: the item exists from this store on
        Volatile.Write(ref h->Puts, h->Puts + 1);
        // Sleepers registered since the last wake are woken once, all together, and the count
        // starts again: a put made while the woken consumer is still getting up makes no system call.
        bool wake = h->NotEmptySleepers != 0;
        if (wake)
        {
            h->NotEmptySleepers = 0;
            Interlocked.Increment(ref h->NotEmptySequence);
        }
        LockWord.Exit(&h->Lock);
        if (wake)
        {
            Futex.WakeAll(&h->NotEmptySequence);
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool GetCore(Deadline deadline, out T item)
    {
        QueueHeader* h = (QueueHeader*)_memory.Enter();
        try
        {
            return GetRecord(h, deadline, out item);
        }
        finally
        {
            _memory.Exit();
        }
    }

    /// <summary>Takes the oldest record and reads the item; the caller holds a reference on the memory.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool GetRecord(QueueHeader* h, Deadline deadline, out T item)
    {
        byte* ring = RingOf(h);
        int capacity = h->Capacity;
        byte[]? direct;
        byte[]? buffer;
        int length;
        Span<byte> peekBuffer = stackalloc byte[5];
        while (true)
        {
            long head = Volatile.Read(ref h->Head);
            long tail = _tailSeen;
            if (head >= tail)
            {
                // Records below a write index once seen stay whole until taken, so the producers'
                // cache line is read again only when this process has caught up with it.
                _tailSeen = tail = Volatile.Read(ref h->Tail);
            }
            if (head == tail)
            {
                if (!WaitNotEmpty(h, tail, deadline))
                {
                    item = default!;
                    return false;
                }
                continue;
            }
            int at = (int)(head % capacity);
            length = Volatile.Read(ref *(int*)(ring + at));
            long record = (4L + length + 3) & ~3L;
            if (length < 0 || record > tail - head)
            {
                // Another consumer took this record and a producer reused its bytes: look again.
                if (Volatile.Read(ref h->Head) == head)
                {
                    throw new InvalidOperationException("the queue's shared memory is damaged (a record overruns the written data)");
                }
                continue;
            }
            // Copy the record out, then take it by moving the read index from where it was: the bytes
            // cannot have changed if it is still there (producers write only behind it), and if another
            // consumer moved it first, this one drops its copy and tries the next record.
            direct = null;
            buffer = null;
            if (typeof(T) == typeof(byte[]) && length >= 2)
            {
                // A bin-encoded byte[] is copied straight into the array handed back (one copy, no parse).
                Span<byte> peek = peekBuffer[..Math.Min(5, length)];
                QueueRing.CopyOut(ring, (at + 4) % capacity, peek, capacity);
                int headerLength = QueueRing.ReadBinHeader(peek, out int n);
                if (headerLength > 0 && headerLength + (long)n == length)
                {
                    direct = GC.AllocateUninitializedArray<byte>(n);
                    QueueRing.CopyOut(ring, (at + 4 + headerLength) % capacity, direct, capacity);
                }
            }
            if (direct is null)
            {
                buffer = t_readBuffer is { } b && b.Length >= length ? b : new byte[Math.Max(length, 256)];
                QueueRing.CopyOut(ring, (at + 4) % capacity, buffer.AsSpan(0, length), capacity);
            }
            if (Interlocked.CompareExchange(ref h->Head, head + record, head) == head)
            {
                break;  // the commit: the item is taken
            }
        }
        Interlocked.Increment(ref h->Takes);
        if (Volatile.Read(ref h->NotFullSleepers) != 0 && Interlocked.Exchange(ref h->NotFullSleepers, 0) != 0)
        {
            // Producers registered since the last wake are woken once, all together.
            Interlocked.Increment(ref h->NotFullSequence);
            Futex.WakeAll(&h->NotFullSequence);
        }
        if (direct is not null)
        {
            item = (T)(object)direct;
            return true;
        }
        if (buffer!.Length <= 4 << 20)
        {
            t_readBuffer = buffer;
        }
        item = PlexusSerializer.Deserialize<T>(buffer.AsMemory(0, length));
        return true;
    }

    /// <summary>
    /// Waits for the write index to move from <paramref name="tail"/>: spins, then registers as a
    /// sleeper under the lock (so the next put sees it) and sleeps. <c>false</c> when the deadline passed.
    /// </summary>
    private bool WaitNotEmpty(QueueHeader* h, long tail, Deadline deadline)
    {
        if (deadline.RemainingMs == 0)
        {
            return false;
        }
        if (IndexSpin.SpinUntilChanged(&h->Tail, tail))
        {
            return true;
        }
        EnterLock(h);
        if (Volatile.Read(ref h->Tail) != Volatile.Read(ref h->Head))
        {
            LockWord.Exit(&h->Lock);
            return true;
        }
        h->NotEmptySleepers++;
        int sequence = h->NotEmptySequence;
        LockWord.Exit(&h->Lock);
        Futex.Wait(&h->NotEmptySequence, sequence, deadline, _memory, changedOnDispose: true);
        return true;
    }

    /// <summary>
    /// Whether a record of <paramref name="record"/> bytes fits now; called under the lock. The read
    /// index this process last saw is tried first (it only ever grows), so a producer that has room
    /// does not pull the consumers' cache line. The item limit is checked on the counters, and when
    /// they say full, on the records themselves (a consumer killed between taking an item and counting
    /// it leaves the counters one high).
    /// </summary>
    private bool HasRoom(QueueHeader* h, long record)
    {
        long tail = h->Tail;
        if (h->Capacity - (tail - _headSeen) < record)
        {
            _headSeen = Volatile.Read(ref h->Head);
            if (h->Capacity - (tail - _headSeen) < record)
            {
                return false;
            }
        }
        int max = h->MaxItems;
        return max <= 0 || Volatile.Read(ref h->Puts) - Volatile.Read(ref h->Takes) < max || CountRecords(h, out _) < max;
    }

    /// <summary>Counts the records between the read and the write index; under the lock, so none is being written.</summary>
    private int CountRecords(QueueHeader* h, out bool damaged)
    {
        long position = Volatile.Read(ref h->Head);
        long tail = h->Tail;
        int capacity = h->Capacity;
        int count = 0;
        damaged = false;
        while (position < tail)
        {
            int length = *(int*)(RingOf(h) + (int)(position % capacity));
            long record = (4L + length + 3) & ~3L;
            if (length < 0 || record > tail - position)
            {
                long now = Volatile.Read(ref h->Head);
                if (now > position)
                {
                    position = now;  // a consumer took it meanwhile: carry on from the new read index
                    continue;
                }
                damaged = true;
                break;
            }
            position += record;
            count++;
        }
        return count;
    }

    private void EnterLock(QueueHeader* h)
    {
        LockWord.Enter(&h->Lock, Deadline.Infinite, _memory, out int abandonedBy);
        if (abandonedBy != 0)
        {
            Recover(h);
        }
    }

    /// <summary>
    /// After taking the lock from a dead process: the indexes are authoritative (each moves by one
    /// store at the end of an operation), so the item count is rebuilt by walking the records.
    /// </summary>
    private void Recover(QueueHeader* h)
    {
        int count = CountRecords(h, out bool damaged);
        long takes = Volatile.Read(ref h->Takes);  // read after the walk, so a take in between is counted twice rather than not at all
        if (damaged)
        {
            // Cannot happen with whole records; if memory was damaged, drop the unreadable rest rather than hang.
            long head = Volatile.Read(ref h->Head);
            Interlocked.CompareExchange(ref h->Head, h->Tail, head);
            count = 0;
        }
        Volatile.Write(ref h->Puts, takes + count);  // approximate while consumers take; limits recheck the records
        if (h->NotEmptySleepers != 0 || h->NotFullSleepers != 0)
        {
            h->NotEmptySleepers = 0;
            h->NotFullSleepers = 0;
            Interlocked.Increment(ref h->NotEmptySequence);
            Interlocked.Increment(ref h->NotFullSequence);
            Futex.WakeAll(&h->NotEmptySequence);
            Futex.WakeAll(&h->NotFullSequence);
        }
    }

    /// <summary>Python's <c>JoinableQueue.task_done()</c>; see <see cref="ProcessJoinableQueue{T}"/>.</summary>
    private protected void TaskDoneCore()
    {
        QueueHeader* h = (QueueHeader*)_memory.Enter();
        try
        {
            TaskDone(h);
        }
        finally
        {
            _memory.Exit();
        }
    }

    private static void TaskDone(QueueHeader* h)
    {
        int left = Interlocked.Decrement(ref h->Unfinished);
        if (left < 0)
        {
            Interlocked.Increment(ref h->Unfinished);
            throw new InvalidOperationException("TaskDone was called more times than there were items put on the queue (Python raises ValueError here)");
        }
        if (left == 0)
        {
            Interlocked.Increment(ref h->AllDoneSequence);
            if (Volatile.Read(ref h->AllDoneSleepers) > 0)
            {
                Futex.WakeAll(&h->AllDoneSequence);
            }
        }
    }

    /// <summary>Python's <c>JoinableQueue.join()</c> with a timeout.</summary>
    private protected bool JoinCore(Deadline deadline)
    {
        QueueHeader* h = (QueueHeader*)_memory.Enter();
        try
        {
            return Join(h, deadline);
        }
        finally
        {
            _memory.Exit();
        }
    }

    private bool Join(QueueHeader* h, Deadline deadline)
    {
        while (true)
        {
            int sequence = Volatile.Read(ref h->AllDoneSequence);
            Interlocked.Increment(ref h->AllDoneSleepers);
            try
            {
                if (Volatile.Read(ref h->Unfinished) <= 0)
                {
                    return true;
                }
                if (deadline.RemainingMs == 0)
                {
                    return false;
                }
                Futex.Wait(&h->AllDoneSequence, sequence, deadline, _memory, changedOnDispose: true);
            }
            finally
            {
                Interlocked.Decrement(ref h->AllDoneSleepers);
            }
        }
    }

    /// <summary>Items put and not yet marked done.</summary>
    private protected int UnfinishedCount => Read(&UnfinishedOf);

    private static int UnfinishedOf(QueueHeader* h) => Volatile.Read(ref h->Unfinished);

    private protected SharedMemory Memory => _memory;

    void IProcessShareable.WriteShared(ref MessagePackWriter writer, HandleTable handles) => _memory.WriteShared(ref writer, handles);

    static ProcessQueue<T> IProcessShareable<ProcessQueue<T>>.ReadShared(ref MessagePackReader reader, HandleTable handles)
        => new(SharedMemory.ReadShared(ref reader, handles));
}
