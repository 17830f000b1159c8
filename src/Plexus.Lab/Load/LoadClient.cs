using System.Diagnostics;
using HdrHistogram;
using Plexus.Lab.Native;
using Plexus.Native;

namespace Plexus.Lab.Load;

/// <summary>
/// The load generator: N non-blocking connections spread over T threads, each thread with its own
/// epoll set, running closed-loop ping-pong (send a message, wait for all of it to come back, check
/// every byte, send the next). Connects go in batches so a 10,000-connection burst never overflows
/// the server's accept backlog (which shows as 1 s / 3 s SYN retransmit stalls).
/// </summary>
internal static class LoadClient
{
    /// <summary>Connects in flight at once across all threads.</summary>
    public const int ConnectBatch = 512;

    /// <summary>
    /// Runs the load. <paramref name="measureStart"/> and <paramref name="measureEnd"/> run at the
    /// edges of the measured window (after every connect, before the closes), so a caller can
    /// sample the server's CPU over exactly that window.
    /// </summary>
    public static LoadResult Run(LoadOptions options, LoadProgress progress, Action? measureStart = null, Action? measureEnd = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ulong limit = Sys.RaiseFileLimit((ulong)options.Connections + 256);
        if (limit < (ulong)options.Connections + 64)
        {
            throw new LabException($"{options.Connections} connections need about {options.Connections + 64} descriptors but this process may open only {limit}; spread them over load processes (--processes) or raise the hard limit (ulimit -Hn, as root)");
        }
        int threads = Math.Clamp(options.Threads, 1, Math.Max(1, options.Connections));
        using var shared = new Shared(threads + 1);
        var loadThreads = new LoadThread[threads];
        var running = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int first = options.Connections * t / threads;
            int count = options.Connections * (t + 1) / threads - first;
            loadThreads[t] = new LoadThread(options, shared, first, count, Math.Max(1, ConnectBatch / threads), progress);
            running[t] = new Thread(loadThreads[t].Run) { IsBackground = true, Name = $"load-{t}" };
            running[t].Start();
        }

        long begin = Stopwatch.GetTimestamp();
        shared.Phase.SignalAndWait(); // all connected (or failed)
        var result = new LoadResult { Connections = options.Connections, ConnectSeconds = Stopwatch.GetElapsedTime(begin).TotalSeconds };
        measureStart?.Invoke();
        progress.Phase = "running";
        long start = Stopwatch.GetTimestamp();
        if (options.Duration is { } duration)
        {
            Volatile.Write(ref shared.EndTimestamp, start + (long)(duration.TotalSeconds * Stopwatch.Frequency));
        }
        shared.Phase.SignalAndWait(); // start ping-pong
        shared.Phase.SignalAndWait(); // measured window over
        result.Seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        measureEnd?.Invoke();
        progress.Phase = "closing";
        foreach (Thread t in running)
        {
            t.Join();
        }
        foreach (LoadThread loadThread in loadThreads)
        {
            loadThread.AddTo(result);
        }
        return result;
    }

    private sealed class Shared(int parties) : IDisposable
    {
        public readonly Barrier Phase = new(parties);
        public long EndTimestamp = long.MaxValue;

        public void Dispose() => Phase.Dispose();
    }

    private struct Conn
    {
        public int Fd;
        public int Id;
        public int State; // 0 closed, 1 connecting, 2 active, 3 warming up (first echo outstanding)
        public long Seq;
        public long SentAt;
        public int Length;
        public int Written;
        public int Received;
        public bool WantWrite;
    }

    /// <summary>
    /// One load thread: drives its share of the connections (ids <c>firstId</c>..) through connect,
    /// warm-up and ping-pong on its own epoll set, and counts what happened.
    /// </summary>
    private sealed class LoadThread(LoadOptions options, Shared shared, int firstId, int count, int batch, LoadProgress progress)
    {
        private readonly Conn[] _conns = new Conn[count];
        private readonly LongHistogram _latency = new(1, 60_000_000, 3);
        private readonly byte[] _buffer = new byte[Math.Max(options.Size, 64) + 64];
        private readonly long _timeoutTicks = (long)(options.Timeout.TotalSeconds * Stopwatch.Frequency);
        private long _connected, _roundTrips, _bytes, _refused, _reset, _timeout, _mismatch, _other;
        private int _epfd = -1;
        private int _active;

        public void AddTo(LoadResult r)
        {
            lock (r)
            {
                r.Connected += _connected;
                r.RoundTrips += _roundTrips;
                r.Bytes += _bytes;
                r.Refused += _refused;
                r.Reset += _reset;
                r.Timeout += _timeout;
                r.Mismatch += _mismatch;
                r.Other += _other;
                r.Latency.Add(_latency);
            }
        }

        public void Run()
        {
            int phases = 0;
            try
            {
                _epfd = Sys.EpollCreate();
                ConnectAll();
                shared.Phase.SignalAndWait();
                phases++;
                shared.Phase.SignalAndWait();
                phases++;
                PingPong();
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"plexus load: a load thread failed: {e.Message}");
                _other++;
            }
            finally
            {
                // Keep the other threads' (and the caller's) phases moving even after a failure.
                for (; phases < 3; phases++)
                {
                    shared.Phase.SignalAndWait();
                }
            }
            CloseAll();
        }

        private void CloseAll()
        {
            for (int i = 0; i < _conns.Length; i++)
            {
                if (_conns[i].State != 0)
                {
                    Sys.Close(_conns[i].Fd);
                    _conns[i].State = 0;
                }
            }
            if (_epfd >= 0)
            {
                Sys.Close(_epfd);
            }
        }

        private void ConnectAll()
        {
            Span<EpollEvent> events = stackalloc EpollEvent[256];
            for (int from = 0; from < count; from += batch)
            {
                int to = Math.Min(count, from + batch);
                int pending = 0;
                for (int i = from; i < to; i++)
                {
                    ref Conn c = ref _conns[i];
                    c.Id = firstId + i;
                    c.Fd = Sys.OpenClientSocket(options.Host.AddressFamily);
                    c.State = 1;
                    int connected = options.Sources.Length == 0 ? 0 : Sys.BindSource(c.Fd, options.Sources[c.Id % options.Sources.Length]);
                    if (connected == 0)
                    {
                        connected = Sys.Connect(c.Fd, options.Host, options.Port);
                    }
                    if (connected < 0 && connected != -Errnos.EINPROGRESS)
                    {
                        Fail(ref c, -connected);
                        continue;
                    }
                    Sys.EpollAdd(_epfd, c.Fd, Epoll.Out, (ulong)i);
                    pending++;
                }
                long deadline = Stopwatch.GetTimestamp() + _timeoutTicks;
                while (pending > 0)
                {
                    int wait = (int)Math.Max(0, (deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency);
                    int n = Sys.EpollWait(_epfd, events, Math.Min(wait, 100));
                    for (int e = 0; e < n; e++)
                    {
                        int index = (int)events[e].Data;
                        ref Conn c = ref _conns[index];
                        if (c.State == 3)
                        {
                            Progress(ref c, index, events[e].Events);
                            continue;
                        }
                        if (c.State != 1)
                        {
                            continue;
                        }
                        int error = Sys.SocketError(c.Fd);
                        if (error != 0)
                        {
                            Fail(ref c, error);
                            continue;
                        }
                        _active++;
                        _connected++;
                        Interlocked.Increment(ref progress.Connected);
                        Sys.EpollModify(_epfd, c.Fd, Epoll.In, events[e].Data);
                        if (options.Duration is null)
                        {
                            c.State = 2;
                            continue;
                        }
                        // Duration mode: one unmeasured round trip before the next batch connects.
                        // It paces the connects to the server's accept rate (a full accept queue drops
                        // the handshake's last ACK and costs a 1 s retransmit later) and keeps
                        // first-message start-up costs out of the measured window.
                        c.State = 3;
                        StartMessage(ref c, index);
                    }
                    pending = 0;
                    for (int i = from; i < to; i++)
                    {
                        pending += _conns[i].State is 1 or 3 ? 1 : 0;
                    }
                    if (Stopwatch.GetTimestamp() >= deadline)
                    {
                        for (int i = from; i < to; i++)
                        {
                            if (_conns[i].State is 1 or 3)
                            {
                                Fail(ref _conns[i], Errnos.ETIMEDOUT);
                            }
                        }
                        break;
                    }
                }
            }
        }

        private void PingPong()
        {
            Span<EpollEvent> events = stackalloc EpollEvent[512];
            long lastProgress = Stopwatch.GetTimestamp();
            long end = Volatile.Read(ref shared.EndTimestamp);
            int started = 0;
            while (_active > 0)
            {
                if (started < _conns.Length)
                {
                    // Ramp up: thousands of first messages in one burst overflow the kernel's
                    // per-CPU backlog (net.core.netdev_max_backlog, 1,000), and loopback drops
                    // cost 200 ms+ retransmits. The closed loop paces itself after this.
                    for (int stop = Math.Min(_conns.Length, started + 256); started < stop; started++)
                    {
                        if (_conns[started].State == 2)
                        {
                            StartMessage(ref _conns[started], started);
                        }
                        else if (_conns[started].State == 3)
                        {
                            Fail(ref _conns[started], Errnos.ETIMEDOUT); // its warm-up echo never came back
                        }
                    }
                }
                long now = Stopwatch.GetTimestamp();
                if (now >= end)
                {
                    // Duration over: in-flight replies are not counted, but one stuck longer than the
                    // timeout is a timeout.
                    for (int i = 0; i < _conns.Length; i++)
                    {
                        if (_conns[i].State == 2 && now - _conns[i].SentAt > _timeoutTicks)
                        {
                            Fail(ref _conns[i], Errnos.ETIMEDOUT);
                        }
                    }
                    break;
                }
                if (now - lastProgress > _timeoutTicks)
                {
                    for (int i = 0; i < _conns.Length; i++)
                    {
                        if (_conns[i].State == 2)
                        {
                            Fail(ref _conns[i], Errnos.ETIMEDOUT);
                        }
                    }
                    break;
                }
                int n = Sys.EpollWait(_epfd, events, started < _conns.Length ? 0 : 50);
                long before = _roundTrips;
                for (int e = 0; e < n; e++)
                {
                    int index = (int)events[e].Data;
                    ref Conn c = ref _conns[index];
                    if (c.State == 2)
                    {
                        Progress(ref c, index, events[e].Events);
                    }
                }
                if (_roundTrips != before || n > 0)
                {
                    lastProgress = Stopwatch.GetTimestamp();
                    Interlocked.Add(ref progress.RoundTrips, _roundTrips - before);
                }
            }
        }

        private void Progress(ref Conn c, int index, uint events)
        {
            int state = c.State;
            if (c.WantWrite && (events & Epoll.Out) != 0)
            {
                WriteRest(ref c, index);
            }
            if (c.State == state && (events & (Epoll.In | Epoll.Error | Epoll.HangUp)) != 0)
            {
                ReadReply(ref c, index);
            }
        }

        private byte Expected(in Conn c, int offset) => options.SeedPattern
            ? LoadOptions.SeedMessages[c.Seq % 3][offset]
            : (byte)(c.Id * 7 + c.Seq * 13 + offset);

        private void StartMessage(ref Conn c, int index)
        {
            c.Length = options.SeedPattern ? LoadOptions.SeedMessages[c.Seq % 3].Length : options.Size;
            c.Written = 0;
            c.Received = 0;
            c.SentAt = Stopwatch.GetTimestamp();
            WriteRest(ref c, index);
        }

        private void WriteRest(ref Conn c, int index)
        {
            int length = c.Length - c.Written;
            for (int i = 0; i < length; i++)
            {
                _buffer[i] = Expected(c, c.Written + i);
            }
            int n = Sys.Write(c.Fd, _buffer.AsSpan(0, length));
            if (n < 0)
            {
                if (n != -Errnos.EAGAIN)
                {
                    Fail(ref c, -n);
                    return;
                }
                n = 0;
            }
            c.Written += n;
            bool want = c.Written < c.Length;
            if (want != c.WantWrite)
            {
                c.WantWrite = want;
                Sys.EpollModify(_epfd, c.Fd, Epoll.In | (want ? Epoll.Out : 0), (ulong)index);
            }
        }

        private void ReadReply(ref Conn c, int index)
        {
            // Never read past this message: the server must not send more than it was sent.
            int n = Sys.Read(c.Fd, _buffer.AsSpan(0, c.Length - c.Received));
            if (n <= 0)
            {
                int errno = n == 0 ? Errnos.ECONNRESET : -n;
                if (errno != Errnos.EAGAIN && errno != Errnos.EINTR)
                {
                    Fail(ref c, errno);
                }
                return;
            }
            for (int i = 0; i < n; i++)
            {
                if (_buffer[i] != Expected(c, c.Received + i))
                {
                    Fail(ref c, -1);
                    return;
                }
            }
            c.Received += n;
            if (c.Received < c.Length)
            {
                return;
            }
            if (c.State == 3)
            {
                c.Seq++; // the warm-up round trip: verified, not measured
                c.State = 2;
                return;
            }
            long micros = (Stopwatch.GetTimestamp() - c.SentAt) * 1_000_000 / Stopwatch.Frequency;
            _latency.RecordValue(Math.Clamp(micros, 1, 60_000_000));
            _roundTrips++;
            _bytes += c.Length;
            c.Seq++;
            if (options.Messages is { } k && c.Seq >= k)
            {
                // Done: close now, as the seed's client does, so a server with a cap (processes) can
                // take the next connection waiting in its backlog.
                Sys.Close(c.Fd);
                c.State = 0;
                _active--;
                return;
            }
            StartMessage(ref c, index);
        }

        private void Fail(ref Conn c, int errno)
        {
            switch (errno)
            {
                case -1: _mismatch++; break;
                case Errnos.ECONNREFUSED: _refused++; break;
                case Errnos.ECONNRESET or Errnos.EPIPE: _reset++; break;
                case Errnos.ETIMEDOUT: _timeout++; break;
                default: _other++; break;
            }
            Interlocked.Increment(ref progress.Errors);
            if (c.State is 2 or 3)
            {
                _active--;
            }
            Sys.Close(c.Fd);
            c.State = 0;
        }
    }
}
