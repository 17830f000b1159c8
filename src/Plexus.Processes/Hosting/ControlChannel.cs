using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Plexus.Native;
using System.Buffers;
using MessagePack;
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

    public ControlChannel(SafeHandle handle) => _handle = handle;

    public int Fd => (int)_handle.DangerousGetHandle();

    public void Send(IControlMessage message, HandleTable? handles = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Advance(4);
        var writer = new MessagePackWriter(buffer);
        message.Write(ref writer);
        writer.Flush();
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

    public void Dispose() => _handle.Dispose();
}

/// <summary>
/// A control message. Each writes itself as a plain MessagePack array: no type names, and no
/// formatter generation at run time, which would cost every child tens of milliseconds at start.
/// </summary>
internal interface IControlMessage
{
    void Write(ref MessagePackWriter writer);
}

/// <summary>Child → parent, first frame: who is calling.</summary>
internal sealed class HelloMessage : IControlMessage
{
    public string Token { get; set; } = "";
    public int Pid { get; set; }

    public void Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(2);
        writer.Write(Token);
        writer.Write(Pid);
    }

    public static HelloMessage Read(ReadOnlyMemory<byte> bytes)
    {
        var reader = new MessagePackReader(bytes);
        Expect(ref reader, 2);
        return new HelloMessage { Token = reader.ReadString() ?? "", Pid = reader.ReadInt32() };
    }

    internal static void Expect(ref MessagePackReader reader, int count)
    {
        if (reader.ReadArrayHeader() != count)
        {
            throw new InvalidDataException("malformed control message");
        }
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

    public void Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(6);
        writer.Write(AssemblyName);
        writer.Write(ModuleVersionId.ToByteArray());
        writer.Write(MetadataToken);
        writer.Write(DisplayName);
        writer.Write(ProcessName);
        writer.WriteArrayHeader(Arguments.Length);
        foreach (byte[] argument in Arguments)
        {
            writer.Write(argument);
        }
    }

    public static LaunchMessage Read(ReadOnlyMemory<byte> bytes)
    {
        var reader = new MessagePackReader(bytes);
        HelloMessage.Expect(ref reader, 6);
        var launch = new LaunchMessage
        {
            AssemblyName = reader.ReadString() ?? "",
            ModuleVersionId = new Guid(reader.ReadBytes()!.Value.ToArray()),
            MetadataToken = reader.ReadInt32(),
            DisplayName = reader.ReadString() ?? "",
            ProcessName = reader.ReadString() ?? "",
        };
        launch.Arguments = new byte[reader.ReadArrayHeader()][];
        for (int i = 0; i < launch.Arguments.Length; i++)
        {
            launch.Arguments[i] = reader.ReadBytes()!.Value.ToArray();
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

    public void Write(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(4);
        writer.Write(ExitCode);
        writer.Write(ErrorType);
        writer.Write(ErrorMessage);
        writer.Write(ErrorStack);
    }

    public static ReportMessage Read(ReadOnlyMemory<byte> bytes)
    {
        var reader = new MessagePackReader(bytes);
        HelloMessage.Expect(ref reader, 4);
        return new ReportMessage
        {
            ExitCode = reader.ReadInt32(),
            ErrorType = reader.ReadString(),
            ErrorMessage = reader.ReadString(),
            ErrorStack = reader.ReadString(),
        };
    }
}
