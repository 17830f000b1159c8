using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Plexus.Processes.Hosting;

internal ref struct ControlWriter(ArrayBufferWriter<byte> buffer)
{
    public readonly void Int(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(4), value);
        buffer.Advance(4);
    }

    public readonly void Bytes(ReadOnlySpan<byte> value)
    {
        Int(value.Length);
        buffer.Write(value);
    }

    public readonly void String(string? value)
    {
        if (value is null)
        {
            Int(-1);
            return;
        }
        int length = Encoding.UTF8.GetByteCount(value);
        Int(length);
        Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
        buffer.Advance(length);
    }
}
