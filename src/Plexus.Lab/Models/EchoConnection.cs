using Plexus.Lab.Native;
using Plexus.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// The echo step the reactor models share: read what is there, write it back, and keep what the
/// kernel did not take (a partial send) until the socket is writable again.
/// </summary>
internal sealed class EchoConnection
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
        while (!HasPending)
        {
            int n = Sys.Read(Fd, buffer);
            if (n > 0)
            {
                stats.AddBytes(n);
                if (!Send(buffer.AsSpan(0, n)))
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
            return n == -Errnos.EAGAIN || n == -Errnos.EINTR;
        }
        return true;
    }

    /// <summary>Flushes pending bytes; false when the peer is gone.</summary>
    public bool OnWritable()
    {
        while (HasPending)
        {
            int n = Sys.Write(Fd, _pending!.AsSpan(_pendingStart, _pendingEnd - _pendingStart));
            if (n < 0)
            {
                return n == -Errnos.EAGAIN || n == -Errnos.EINTR;
            }
            _pendingStart += n;
        }
        _pendingStart = _pendingEnd = 0;
        return true;
    }

    private bool Send(ReadOnlySpan<byte> data)
    {
        int sent = 0;
        while (sent < data.Length)
        {
            int n = Sys.Write(Fd, data[sent..]);
            if (n < 0)
            {
                if (n == -Errnos.EINTR)
                {
                    continue;
                }
                if (n != -Errnos.EAGAIN)
                {
                    return false;
                }
                break;
            }
            sent += n;
        }
        if (sent < data.Length)
        {
            int rest = data.Length - sent;
            if (_pending is null || _pending.Length < rest)
            {
                _pending = new byte[Math.Max(rest, 4096)];
            }
            data[sent..].CopyTo(_pending);
            _pendingStart = 0;
            _pendingEnd = rest;
        }
        return true;
    }
}
