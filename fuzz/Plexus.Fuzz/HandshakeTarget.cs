using System.Net.Sockets;
using System.Security.Authentication;
using Plexus.Native;

namespace Plexus.Fuzz;

/// <summary>
/// <c>handshake</c>: the manager's HMAC challenge with a hostile peer. An even first byte fuzzes the
/// server's side (the bytes are the client's answer), an odd one the client's side (the bytes are the
/// server's challenge and verdict). The oracles: the server never admits a client that did not answer its
/// random challenge; only the documented errors escape; and before the peer has proved anything, reading
/// its frames allocates no more than a challenge's worth (an unauthenticated peer must not make the
/// manager allocate megabytes).
/// </summary>
internal static class HandshakeTarget
{
    private const long PreAuthAllocationLimit = 64 * 1024;
    private static readonly byte[] s_key = "fuzz-key"u8.ToArray();

    public static void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        (int ours, int theirs) = SocketPair.Create(nonBlocking: false);
        using var socket = new Socket(new SafeSocketHandle(ours, ownsHandle: true));
        using (var peer = new Socket(new SafeSocketHandle(theirs, ownsHandle: true)))
        {
            peer.Send(input.AsSpan(1));
            peer.Shutdown(SocketShutdown.Send);
            socket.ReceiveTimeout = 5_000;
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                if (input[0] % 2 == 0)
                {
                    if (Internals.DeliverChallenge(null, socket, s_key))
                    {
                        throw new FuzzFinding("the server admitted a client that never saw its challenge");
                    }
                }
                else
                {
                    Internals.AnswerChallenge(null, socket, s_key, "fuzz");
                }
            }
            catch (Exception e) when (e is AuthenticationException or EndOfStreamException or InvalidDataException)
            {
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > PreAuthAllocationLimit)
            {
                throw new FuzzFinding($"an unauthenticated peer made the handshake allocate {allocated} bytes");
            }
        }
    }
}
