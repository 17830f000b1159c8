using System.Net;
using System.Net.Sockets;
using Plexus.Native;

namespace Plexus.IO;

/// <summary>Native <c>sockaddr</c> bytes to .NET endpoints. .NET's <see cref="SocketAddress"/> holds the platform's own layout, so the kernel's bytes go in as they are.</summary>
internal static class SocketAddresses
{
    /// <summary>A <c>getsockname</c>-shaped call: fills the address, returns its length or the negated errno.</summary>
    internal delegate int AddressCall(int fd, Span<byte> address);

    private static readonly IPEndPoint s_v4 = new(IPAddress.Any, 0);
    private static readonly IPEndPoint s_v6 = new(IPAddress.IPv6Any, 0);
    private static readonly UnixDomainSocketEndPoint s_unix = new("/");

    /// <summary>Runs a <c>getsockname</c>-shaped call and decodes the address it fills in.</summary>
    internal static EndPoint Read(AddressFamily family, AddressCall call, string name, LoopSocket socket)
    {
        Span<byte> address = stackalloc byte[Sockets.AddressCapacity];
        int length = call(socket.Fd, address);
        return length < 0
            ? throw new ErrnoException(name, -length, socket.Describe())
            : Decode(family, address[..length]);
    }

    /// <summary>An endpoint from the <paramref name="native"/> address bytes of a socket of <paramref name="family"/>.</summary>
    internal static EndPoint Decode(AddressFamily family, ReadOnlySpan<byte> native)
    {
        var address = new SocketAddress(family, Math.Max(native.Length, 2));
        native.CopyTo(address.Buffer.Span);
        address.Size = native.Length;
        EndPoint template = family switch
        {
            AddressFamily.InterNetwork => s_v4,
            AddressFamily.InterNetworkV6 => s_v6,
            _ => s_unix,
        };
        return template.Create(address);
    }
}
