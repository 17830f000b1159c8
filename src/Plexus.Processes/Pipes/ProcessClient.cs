using System.Net.Sockets;
using System.Security.Authentication;
using Plexus.Native;

namespace Plexus.Processes;

/// <summary>
/// Connects to a <see cref="ProcessListener"/> (Python's <c>multiprocessing.connection.Client</c>): both
/// sides prove they know the key with an HMAC-SHA256 challenge, then the connection carries framed
/// messages as a <see cref="ProcessPipe"/> end does.
/// </summary>
public static class ProcessClient
{
    /// <summary>How long the listener may take to run its side of the challenge.</summary>
    private static readonly TimeSpan s_challengeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Connects to the listener at <paramref name="address"/> and authenticates both ways.</summary>
    /// <param name="address">The listener's <see cref="ProcessListener.Address"/>: a Unix socket path or <c>tcp://HOST:PORT</c>.</param>
    /// <param name="authKey">The listener's key.</param>
    /// <exception cref="AuthenticationException">The keys differ (the listener refused this client, or could not prove it knows the key); the socket is closed.</exception>
    /// <exception cref="IOException">Nothing listens at <paramref name="address"/>.</exception>
    public static Connection Connect(string address, byte[] authKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        ArgumentNullException.ThrowIfNull(authKey);
        Socket socket;
        try
        {
            socket = ProcessAddress.Connect(address);
        }
        catch (SocketException e)
        {
            throw new IOException($"cannot connect to the listener at {address}: {e.Message}. Is it listening?", e);
        }
        using (socket)
        {
            socket.ReceiveTimeout = (int)s_challengeTimeout.TotalMilliseconds;
            string? refused;
            bool listenerProved = true;
            try
            {
                refused = AuthChallenge.Answer(socket, authKey);
                listenerProved = refused is not null || AuthChallenge.Deliver(socket, authKey);
            }
            catch (Exception e) when (e is SocketException or InvalidDataException)
            {
                refused = e.Message;
            }
            if (refused is not null)
            {
                throw new AuthenticationException($"the listener at {address} refused this connection: {refused}. Pass the listener's key to ProcessClient.Connect.");
            }
            if (!listenerProved)
            {
                throw new AuthenticationException($"the listener at {address} did not prove it knows the key: its key differs, or it is not the listener you meant. The connection is closed.");
            }
            socket.ReceiveTimeout = 0;
            return new Connection(Descriptors.Duplicate((int)socket.Handle), readable: true, writable: true);
        }
    }
}
