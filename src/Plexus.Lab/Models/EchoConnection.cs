using Plexus.Native;
using Plexus.Lab.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// The echo step the reactor models share: read what is there, write it back, and keep what the
/// kernel did not take (a partial send) until the socket is writable again.
/// </summary>
internal sealed unsafe class EchoConnection
{
    private byte[]? _pending;
    private int _pendingStart, _pendingEnd;

    public EchoConnection(int fd) => Fd = fd;

    public int Fd { get; }

    /// <summary>Whether bytes wait for the socket to become writable (stop reading meanwhile).</summary>
    public bool HasPending => _pendingEnd > _pendingStart;

    /// <summary>
    /// Reads once (or until the socket is drained when <paramref name="drain"/>, as edge-triggered
    /// readiness requires) and echoes. Returns false when the peer closed or reset: close the descriptor.
    /// </summary>
    public bool OnReadable(byte[] buffer, ServerStats stats, bool drain)
    {
        fixed (byte* p = buffer)
        {
            while (!HasPending)
            {
                nint n = LibC.read(Fd, p, buffer.Length);
                if (n > 0)
                {
                    stats.AddBytes(n);
                    if (!Send(p, (int)n))
                    {
                        return false;
                    }
                    if (!drain && n < buffer.Length)
                    {
                        return true;
                    }
                    continue;
                }
                if (n == 0)
                {
                    return false;
                }
                int errno = Sys.Errno;
                return errno == Errnos.EAGAIN || errno == Errnos.EINTR;
            }
        }
        return true;
    }

    /// <summary>Flushes pending bytes; false when the peer is gone.</summary>
    public bool OnWritable()
    {
        while (HasPending)
        {
            nint n;
            fixed (byte* p = &_pending![_pendingStart])
            {
                n = LibC.write(Fd, p, _pendingEnd - _pendingStart);
            }
            if (n < 0)
            {
                int errno = Sys.Errno;
                return errno == Errnos.EAGAIN || errno == Errnos.EINTR;
            }
            _pendingStart += (int)n;
        }
        _pendingStart = _pendingEnd = 0;
        return true;
    }

    private bool Send(byte* data, int count)
    {
        int sent = 0;
        while (sent < count)
        {
            nint n = LibC.write(Fd, data + sent, count - sent);
            if (n < 0)
            {
                int errno = Sys.Errno;
                if (errno == Errnos.EINTR)
                {
                    continue;
                }
                if (errno != Errnos.EAGAIN)
                {
                    return false;
                }
                break;
            }
            sent += (int)n;
        }
        if (sent < count)
        {
            int rest = count - sent;
            if (_pending is null || _pending.Length < rest)
            {
                _pending = new byte[Math.Max(rest, 4096)];
            }
            new ReadOnlySpan<byte>(data + sent, rest).CopyTo(_pending);
            _pendingStart = 0;
            _pendingEnd = rest;
        }
        return true;
    }
}
