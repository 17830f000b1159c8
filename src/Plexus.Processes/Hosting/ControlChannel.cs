using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Plexus.Native;
using System.Buffers;
using System.Text;
using Plexus.Processes.Serialization;

namespace Plexus.Processes.Hosting;

/// <summary>
/// The private socket between a parent and one child: length-prefixed frames whose first byte may
/// carry descriptors (<c>SCM_RIGHTS</c>). It carries the launch and the child's reports; its EOF
/// tells the child that the parent is gone.
/// </summary>
internal sealed class ControlChannel : IDisposable
{
    private const int MaxFrame = 256 << 20;
    private readonly SafeHandle _handle;
    private readonly object _sendLock = new();

    // The Socket an accepted channel came from: a Socket's finalizer closes its descriptor, so it must live as
    // long as the channel (an early close reads as EOF in the child, which then kills itself).
    private readonly Socket? _owner;

    public ControlChannel(SafeHandle handle) => _handle = handle;

    public ControlChannel(Socket accepted)
    {
        _owner = accepted;
        _handle = accepted.SafeHandle;
    }

    public int Fd => (int)_handle.DangerousGetHandle();

    public void Send(IControlMessage message, HandleTable? handles = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Advance(4);
        var writer = new ControlWriter(buffer);
        message.Write(ref writer);
        byte[] frame = buffer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(frame, frame.Length - 4);
        lock (_sendLock)
        {
            int[] fds = handles is null ? [] : [.. handles.Fds];
            Descriptors.SendWithDescriptors(Fd, frame, fds);
        }
    }

    /// <summary>Receives one frame (and its descriptors); <c>null</c> at EOF.</summary>
    public byte[]? Receive(List<int> fds)
    {
        Span<byte> header = stackalloc byte[4];
        if (!Fill(header, fds, eofAllowed: true))
        {
            return null;
        }
        int length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length < 0 || length > MaxFrame)
        {
            throw new InvalidDataException($"control frame of {length} bytes is malformed or over {MaxFrame} bytes");
        }
        byte[] payload = new byte[length];
        Fill(payload, fds, eofAllowed: false);
        return payload;
    }

    private bool Fill(Span<byte> buffer, List<int> fds, bool eofAllowed)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n;
            try
            {
                n = Descriptors.ReceiveWithDescriptors(Fd, buffer[read..], fds);
            }
            catch (ErrnoException e) when (e.Errno == Errnos.ECONNRESET)
            {
                n = 0;
            }
            if (n == 0)
            {
                if (read == 0 && eofAllowed)
                {
                    return false;
                }
                throw new EndOfStreamException("the control channel closed in the middle of a frame");
            }
            read += n;
        }
        return true;
    }

    public void Dispose()
    {
        _handle.Dispose();
        _owner?.Dispose();
    }
}

/// <summary>
/// A control message, in a plain binary layout (little-endian integers, length-prefixed UTF-8 and
/// byte strings): no type names, and nothing for a starting child to compile but these few lines,
/// since every millisecond here is a millisecond of every child's start.
/// </summary>
internal interface IControlMessage
{
    void Write(ref ControlWriter writer);
}

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

/// <summary>Child → parent, first frame: who is calling.</summary>
internal sealed class HelloMessage : IControlMessage
{
    public string Token { get; set; } = "";
    public int Pid { get; set; }

    public void Write(ref ControlWriter writer)
    {
        writer.String(Token);
        writer.Int(Pid);
    }

    public static HelloMessage Read(ReadOnlySpan<byte> bytes)
    {
        var reader = new ControlReader(bytes);
        return new HelloMessage { Token = reader.String() ?? "", Pid = reader.Int() };
    }
}

/// <summary>Parent → child: what to run.</summary>
internal sealed class LaunchMessage : IControlMessage
{
    public string AssemblyName { get; set; } = "";
    public Guid ModuleVersionId { get; set; }
    public int MetadataToken { get; set; }
    public string DisplayName { get; set; } = "";
    public string ProcessName { get; set; } = "";
    public byte[][] Arguments { get; set; } = [];

    public void Write(ref ControlWriter writer)
    {
        writer.String(AssemblyName);
        Span<byte> guid = stackalloc byte[16];
        ModuleVersionId.TryWriteBytes(guid);
        writer.Bytes(guid);
        writer.Int(MetadataToken);
        writer.String(DisplayName);
        writer.String(ProcessName);
        writer.Int(Arguments.Length);
        foreach (byte[] argument in Arguments)
        {
            writer.Bytes(argument);
        }
    }

    public static LaunchMessage Read(ReadOnlySpan<byte> bytes)
    {
        var reader = new ControlReader(bytes);
        var launch = new LaunchMessage
        {
            AssemblyName = reader.String() ?? "",
            ModuleVersionId = new Guid(reader.Bytes()),
            MetadataToken = reader.Int(),
            DisplayName = reader.String() ?? "",
            ProcessName = reader.String() ?? "",
        };
        int count = reader.Int();
        if (count is < 0 or > 1024)
        {
            throw new InvalidDataException("malformed control message");
        }
        launch.Arguments = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            launch.Arguments[i] = reader.Bytes().ToArray();
        }
        return launch;
    }
}

/// <summary>Child → parent: how the target ended.</summary>
internal sealed class ReportMessage : IControlMessage
{
    public int ExitCode { get; set; }
    public string? ErrorType { get; set; }
    public string? ErrorMessage { get; set; }
    public string? ErrorStack { get; set; }

    public void Write(ref ControlWriter writer)
    {
        writer.Int(ExitCode);
        writer.String(ErrorType);
        writer.String(ErrorMessage);
        writer.String(ErrorStack);
    }

    public static ReportMessage Read(ReadOnlySpan<byte> bytes)
    {
        var reader = new ControlReader(bytes);
        return new ReportMessage
        {
            ExitCode = reader.Int(),
            ErrorType = reader.String(),
            ErrorMessage = reader.String(),
            ErrorStack = reader.String(),
        };
    }
}
