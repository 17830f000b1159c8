using System.Buffers.Binary;
using System.Net.Sockets;
using Plexus.Native;
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
    private readonly Socket _socket;
    private readonly object _sendLock = new();

    public ControlChannel(Socket socket) => _socket = socket;

    public int Fd => (int)_socket.Handle;

    public void Send<T>(T message, HandleTable? handles = null)
    {
        byte[] payload = PlexusSerializer.Serialize(message);
        byte[] frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
        payload.CopyTo(frame, 4);
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

    public void Dispose() => _socket.Dispose();
}

/// <summary>Child → parent, first frame: who is calling.</summary>
internal sealed class HelloMessage
{
    public string Token { get; set; } = "";
    public int Pid { get; set; }
}

/// <summary>Parent → child: what to run.</summary>
internal sealed class LaunchMessage
{
    public string AssemblyName { get; set; } = "";
    public Guid ModuleVersionId { get; set; }
    public int MetadataToken { get; set; }
    public string DisplayName { get; set; } = "";
    public string ProcessName { get; set; } = "";
    public byte[][] Arguments { get; set; } = [];
}

/// <summary>Child → parent: how the target ended.</summary>
internal sealed class ReportMessage
{
    public int ExitCode { get; set; }
    public string? ErrorType { get; set; }
    public string? ErrorMessage { get; set; }
    public string? ErrorStack { get; set; }
}
