namespace Plexus.Processes;

/// <summary>
/// Reads the manager protocol's length-prefixed frames (4-byte little-endian length, at most
/// <see cref="ManagerWire.MaxFrame"/>) from a stream into one buffer that grows for big frames.
/// A frame returned by <see cref="Next"/> is valid until the next <see cref="Fill"/>.
/// </summary>
internal sealed class FrameReader(FrameReader.ReceiveInto receive)
{
    /// <summary>Reads what has arrived into <paramref name="buffer"/>; 0 at EOF.</summary>
    public delegate int ReceiveInto(Span<byte> buffer);

    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>Receives more bytes; <c>false</c> at EOF.</summary>
    public bool Fill()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            int have = _end - _start;
            byte[] target = have * 2 > _buffer.Length ? new byte[_buffer.Length * 2] : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, have);
            _buffer = target;
            _start = 0;
            _end = have;
        }
        int n = receive(_buffer.AsSpan(_end));
        _end += n;
        return n > 0;
    }

    /// <summary>The next whole frame already received, or <c>null</c> when its rest has not arrived yet.</summary>
    /// <exception cref="InvalidDataException">A length is negative or over the limit (a corrupt or hostile peer).</exception>
    public ReadOnlyMemory<byte>? Next()
    {
        if (_end - _start < 4)
        {
            return null;
        }
        int length = BitConverter.ToInt32(_buffer, _start);
        if (length < 0 || length > ManagerWire.MaxFrame)
        {
            throw new InvalidDataException($"a manager frame of {length} bytes is malformed or over the {ManagerWire.MaxFrame}-byte limit");
        }
        if (_end - _start - 4 < length)
        {
            if (length + 4 > _buffer.Length)
            {
                byte[] bigger = new byte[length + 4];
                Buffer.BlockCopy(_buffer, _start, bigger, 0, _end - _start);
                _buffer = bigger;
                _end -= _start;
                _start = 0;
            }
            return null;
        }
        ReadOnlyMemory<byte> frame = _buffer.AsMemory(_start + 4, length);
        _start += 4 + length;
        return frame;
    }
}
