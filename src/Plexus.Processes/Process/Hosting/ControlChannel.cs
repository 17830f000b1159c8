using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
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
    /// <summary>The largest frame either side accepts (a launch carries its arguments in one frame).</summary>
    public const int MaxFrame = 256 << 20;
    private readonly SafeHandle _handle;
    private readonly Lock _sendLock = new();

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
        if (frame.Length - 4 > MaxFrame)
        {
            // ChildProcess.Start refuses such arguments first; this guards the invariant the receiver checks.
            throw new InvalidOperationException($"a control frame of {frame.Length - 4} bytes is over the {MaxFrame}-byte limit");
        }
        lock (_sendLock)
        {
            bool added = false;
            try
            {
                _handle.DangerousAddRef(ref added);
                if (handles is null)
                {
                    Descriptors.SendWithDescriptors(Fd, frame, []);
                }
                else
                {
                    handles.Send(Fd, frame);
                }
            }
            finally
            {
                if (added)
                {
                    _handle.DangerousRelease();
                }
            }
        }
    }

    /// <summary>Receives one frame (and its descriptors); <c>null</c> at EOF.</summary>
    /// <exception cref="ObjectDisposedException">The channel was disposed before the receive began.</exception>
    public byte[]? Receive(List<int> fds)
    {
        // The reference keeps a Dispose on another thread (the parent giving up on a report) from closing the
        // descriptor under this receive, whose number could by then belong to another file.
        bool added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            return ReceiveFrame(fds);
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    private byte[]? ReceiveFrame(List<int> fds)
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
