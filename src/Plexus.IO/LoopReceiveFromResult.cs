using System.Net;

namespace Plexus.IO;

/// <summary>One datagram received by <see cref="EventLoop.ReceiveFromAsync"/> (Python's <c>(nbytes, address)</c> from <c>sock_recvfrom_into</c>).</summary>
/// <param name="ReceivedBytes">How many bytes of the datagram fitted in the buffer (the rest of a longer one is dropped).</param>
/// <param name="RemoteEndPoint">Who sent it.</param>
public readonly record struct LoopReceiveFromResult(int ReceivedBytes, EndPoint RemoteEndPoint);
