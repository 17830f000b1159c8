using System.Buffers.Binary;
using System.Text;

namespace Plexus.Processes.Hosting;

internal ref struct ControlReader(ReadOnlySpan<byte> data)
{
    private ReadOnlySpan<byte> _data = data;

    public int Int()
    {
        if (_data.Length < 4)
        {
            throw new InvalidDataException("malformed control message");
        }
        int value = BinaryPrimitives.ReadInt32LittleEndian(_data);
        _data = _data[4..];
        return value;
    }

    public ReadOnlySpan<byte> Bytes()
    {
        int length = Int();
        if (length < 0 || length > _data.Length)
        {
            throw new InvalidDataException("malformed control message");
        }
        ReadOnlySpan<byte> value = _data[..length];
        _data = _data[length..];
        return value;
    }

    public string? String()
    {
        if (BinaryPrimitives.ReadInt32LittleEndian(_data) == -1)
        {
            Int();
            return null;
        }
        return Encoding.UTF8.GetString(Bytes());
    }
}
